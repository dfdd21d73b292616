"""Changing your password, and the strength feedback while you type a new one.

The current password is asked for unless the session has lately proved more (§2.6 of the
reference): a multi-factor sign-in within the sudo window, or a sign-in with the password
moments ago that found it expired or temporary. A session that began with a
Temporary Access Pass still gives the current password: the pass proves who holds it, not
that they know the password.
"""

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from organizations.policies import password_policy
from portal import ratelimits
from portal.authentication import first_factor
from portal.http import PortalRequest
from portal.sudo import has_second_factor, is_recent, verify_url
from security_info.password import passwords, strength
from security_info.password.apps import MUST_CHANGE_PASSWORD_SESSION_KEY
from security_info.password.forms import ChangePasswordForm

REASONS = {
    "expired": gettext_lazy("Your password has expired."),
    "temporary": gettext_lazy("Your administrator gave you a temporary password."),
}
CHANGED_MESSAGE = gettext_lazy(
    "Your password was changed. You stay signed in here; your other sessions were signed out."
)


@never_cache
@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def change(request: PortalRequest) -> HttpResponse:
    user = request.user
    if not user.has_usable_password() and not _recent_strong_sign_in(request):
        # Nothing to type to prove who you are: a fresh strong sign-in stands in for it.
        return redirect(_verify_url())
    reason = request.session.get(MUST_CHANGE_PASSWORD_SESSION_KEY)
    ask_current = asks_current_password(request)
    data = request.POST if request.method == "POST" else None  # an empty POST gets messages
    form = ChangePasswordForm(request, data, ask_current=ask_current)
    if request.method == "POST" and form.is_valid():
        passwords.set_password(request, user, form.cleaned_data["new_password1"])
        request.session.pop(MUST_CHANGE_PASSWORD_SESSION_KEY, None)
        messages.success(request, CHANGED_MESSAGE)
        return redirect("portal:overview")
    context = {
        "form": form,
        "must_change": bool(reason),
        "reason": REASONS.get(reason or "", ""),
        "asks_current": ask_current,
        "has_password": user.has_usable_password(),
        "verify_url": _verify_url() if ask_current and _can_verify_instead(request) else "",
        "strength_url": reverse("password:strength"),
        "refuses_current": password_policy(user).history_count > 0,
    }
    return render(request, "password/change.html", context)


def asks_current_password(request) -> bool:
    """Tell whether the change form must ask for the current password."""
    if not request.user.has_usable_password():
        return False  # there is none to give
    if request.session.get(MUST_CHANGE_PASSWORD_SESSION_KEY):
        return False  # typed moments ago, at the sign-in that found it expired or temporary
    if _signed_in_with_temporary_pass(request):
        return True
    return not _recent_strong_sign_in(request)


def _recent_strong_sign_in(request) -> bool:
    return is_recent(request, has_mfa=True)


def _can_verify_instead(request) -> bool:
    """Forgot it? A second method proves as much, except in a session begun with a pass."""
    return not _signed_in_with_temporary_pass(request) and has_second_factor(request)


def _verify_url() -> str:
    return verify_url(reverse("password:change"))


def _signed_in_with_temporary_pass(request) -> bool:
    return first_factor(request, request.user) == "temporary_pass"


@never_cache
@require_POST
def check_strength(request: PortalRequest) -> JsonResponse:
    """Answer {"password": "..."} with its score, zxcvbn's advice and the rules it breaks."""
    ratelimits.consume(request, "strength_check")
    return strength.json_answer(request, request.user)
