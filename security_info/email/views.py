"""The email method: a personal address for password reset, proved by a code sent to it.

Changing the address proves the new one the same way; the old one stays until then.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from organizations.policies import authentication_policy
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info import challenges, verification
from security_info.challenges import Challenge, ChallengeError, InvalidCode, SendRefused
from security_info.email.forms import EmailMethodForm
from security_info.forms import CodeForm
from security_info.methods import KINDS, can_add, get_method_for_user
from security_info.models import Method
from security_info.services import add_method, change_method

EMAIL = Method.Kind.EMAIL
PURPOSE = verification.REGISTER


def _allowed(user) -> bool:
    return KINDS[EMAIL].is_allowed(authentication_policy(user))


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required
def add(request: PortalRequest) -> HttpResponse:
    refusal = can_add(request.user, EMAIL)
    if refusal:
        messages.error(request, refusal)
        return redirect("security_info:index")
    form = EmailMethodForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid() and _send_code(request, form):
        return redirect("security_info:verify_email")
    return render(request, "security_info/email/add.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required
def change(request: PortalRequest, pk: str) -> HttpResponse:
    method = get_method_for_user(request.user, pk, kinds=[EMAIL])
    if not _allowed(request.user):
        messages.error(request, _("Your organization does not allow this method."))
        return redirect("security_info:index")
    form = EmailMethodForm(request.user, request.POST or None, current=method.email)
    if request.method == "POST" and form.is_valid() and _send_code(request, form, method):
        return redirect("security_info:verify_email")
    return render(request, "security_info/email/change.html", {"form": form, "method": method})


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@sudo_required
def verify(request: PortalRequest) -> HttpResponse:
    """Take the code sent to the new address; register (or switch to) the address if right."""
    challenge = _pending(request)
    if challenge is None:
        messages.error(request, _("Enter your email address again to get a new code."))
        return redirect("security_info:index")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.check_registration(request, form.cleaned_data["code"])
        except InvalidCode as e:
            form.add_error("code", str(e))
        except ChallengeError as e:  # expired, or too many wrong codes: start again
            messages.error(request, str(e))
            return redirect(_address_form_url(challenge))
        else:
            return _save(request, challenge)
    return render(
        request,
        "security_info/email/verify.html",
        {
            "form": form,
            "challenge": challenge,
            "send_status": challenges.send_status(request, challenge),
        },
    )


@require_POST
@sudo_required
def resend(request: PortalRequest) -> HttpResponse:
    challenge = _pending(request)
    if challenge is None:
        return redirect("security_info:index")
    try:
        sent = challenges.send(request, challenge)
    except SendRefused as e:
        messages.error(request, str(e))
    else:
        if challenges.send_state(request, sent) == challenges.SENT:  # else the page tells
            messages.success(
                request, _("We sent a new code to %(email)s.") % {"email": challenge.destination}
            )
    return redirect("security_info:verify_email")


def _send_code(request, form, method: Method | None = None) -> bool:
    """Email a code to the typed address; on failure put the reason on the form."""
    challenge = Challenge(
        purpose=PURPOSE,
        user_id=request.user.pk,
        method_id=method.pk if method else None,
        kind=EMAIL,
        channel=challenges.EMAIL,
        destination=form.cleaned_data["email"],
    )
    try:
        challenges.send(request, challenge)
    except SendRefused as e:
        form.add_error("email", str(e))
        return False
    return True


def _pending(request) -> Challenge | None:
    """Return this user's email registration under way, if any."""
    challenge = challenges.current(request, PURPOSE)
    if challenge is None or challenge.kind != EMAIL or challenge.user_id != request.user.pk:
        return None
    return challenge


def _address_form_url(challenge: Challenge) -> str:
    if challenge.method_id:
        return reverse("security_info:change_email", args=[challenge.method_id])
    return reverse("security_info:add_email")


def _save(request, challenge: Challenge) -> HttpResponse:
    user = request.user
    if challenge.method_id:
        method = get_method_for_user(user, challenge.method_id, kinds=[EMAIL])
        if not _allowed(user):
            messages.error(request, _("Your organization does not allow this method."))
            return redirect("security_info:index")
        change_method(request, method, email=challenge.destination)
        messages.success(request, _("Email address changed."))
        return redirect("security_info:index")
    refusal = can_add(user, EMAIL)  # another tab may have added one meanwhile
    if refusal:
        messages.error(request, refusal)
        return redirect("security_info:index")
    add_method(request, user, kind=EMAIL, email=challenge.destination)
    messages.success(request, _("Email address added."))
    return redirect("security_info:index")
