"""App passwords: create one (its password shown once), or delete one.

New ones need the policy's allow_app_passwords; existing ones keep working, stay listed and
can be deleted after the policy is turned off.
"""

import time

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal import crypto
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info.app_passwords.forms import AppPasswordForm
from security_info.app_passwords.passwords import (
    TooManyAppPasswords,
    create_app_password,
    delete_app_password,
    get_app_password_for_user,
    limit_reached,
)
from security_info.methods import can_add, has_second_factor

# The new password waits here, encrypted, only until the result page has shown it once (and
# for a few minutes at most, should that page never be opened).
CREATED_SESSION_KEY = "security_info.app_password_created"
SHOW_WITHIN_SECONDS = 10 * 60


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required
def add(request: PortalRequest) -> HttpResponse:
    refusal = (
        can_add(request.user, "app_password")
        or _needs_second_factor(request)
        or limit_reached(request.user)
    )
    if refusal:
        messages.error(request, refusal)
        return redirect("security_info:index")
    form = AppPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app_password, password = create_app_password(
                request, request.user, form.cleaned_data["name"]
            )
        except TooManyAppPasswords as e:
            messages.error(request, str(e))
            return redirect("security_info:index")
        request.session[CREATED_SESSION_KEY] = {
            "name": app_password.name,
            "password": crypto.encrypt(password),
            "at": time.time(),
        }
        return redirect("security_info:app_password_created")
    return render(request, "security_info/app_passwords/add.html", {"form": form})


def _needs_second_factor(request: PortalRequest) -> str:
    """An app password signs in without a second factor, so only someone who has one, and
    proved it for sudo mode, may make one: never a password alone."""
    if has_second_factor(request):
        return ""
    return _(
        "Add a second sign-in method first, such as an authenticator app or a phone. "
        "App passwords are for accounts that already have one."
    )


@never_cache
@require_GET
@sudo_required
def created(request: PortalRequest) -> HttpResponse:
    """Show the new password once; a reload or a second visit finds nothing to show."""
    pending = request.session.pop(CREATED_SESSION_KEY, None)
    try:
        if time.time() > pending["at"] + SHOW_WITHIN_SECONDS:
            return redirect("security_info:index")
        password = crypto.decrypt(pending["password"])
    except (TypeError, KeyError, ValueError):
        return redirect("security_info:index")
    api_url = request.build_absolute_uri(reverse("api:me"))
    context = {"name": pending["name"], "password": password, "api_url": api_url}
    return render(request, "security_info/app_passwords/created.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required
def delete(request: PortalRequest, pk: str) -> HttpResponse:
    """Confirm, then delete one app password (an outsider's id is a 404)."""
    app_password = get_app_password_for_user(request.user, pk)
    if request.method == "POST":
        delete_app_password(request, app_password)
        messages.success(
            request, _("App password “%(name)s” deleted.") % {"name": app_password.name}
        )
        return redirect("security_info:index")
    return render(
        request, "security_info/app_passwords/delete.html", {"app_password": app_password}
    )
