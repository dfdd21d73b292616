"""The Temporary Access Pass: sign in with one, and delete yours.

Admins issue passes in the Django admin (security_info/admin.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from portal.authentication import complete_sign_in, record_factor
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info.models import TemporaryAccessPass
from security_info.temporary_pass import passes as temporary_pass
from security_info.temporary_pass.forms import TemporaryPassSignInForm


@require_http_methods(["GET", "POST"])
@sudo_required
def delete(request: PortalRequest) -> HttpResponse:
    """Confirm, then delete the signed-in user's own pass."""
    get_object_or_404(TemporaryAccessPass, user=request.user)
    if request.method == "POST":
        temporary_pass.delete(request, request.user)
        messages.success(request, _("Temporary Access Pass deleted."))
        return redirect("security_info:index")
    return render(request, "security_info/temporary_pass/delete.html")


@never_cache
@login_not_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def sign_in(request) -> HttpResponse:
    """Sign in with the work address and a pass; no second step follows (the pass is one)."""
    if request.user.is_authenticated:
        return redirect("security_info:index")
    form = TemporaryPassSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = temporary_pass.authenticate(
            request, form.cleaned_data["email"], form.cleaned_data["code"]
        )
        if user is not None:
            record_factor(request, user, method="temporary_pass")
            return complete_sign_in(request, user, redirect_url="/security-info/")
        form.add_error(None, _("That pass didn't work. Check it, or ask your admin for a new one."))
    return render(request, "security_info/temporary_pass/sign_in.html", {"form": form})
