"""Recovery codes: create them, see how many are left, and use one to finish a sign-in.

New codes are shown once. Until the user says they saved them (or comes back to the
recovery codes page), they wait in the session, encrypted, so the result page can offer them
as a download.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.policies import authentication_policy
from portal import crypto
from portal.http import PortalRequest
from portal.ratelimits import RateLimited
from portal.sudo import sudo_required
from security_info.recovery_codes import codes as recovery_codes
from security_info.recovery_codes.codes import LOW
from security_info.recovery_codes.forms import RecoveryCodeForm
from security_info.stages import SecondFactorStage
from signins.models import SignInEvent

CODES_SESSION_KEY = "security_info.new_recovery_codes"
REPLACED_SESSION_KEY = "security_info.recovery_codes_replaced"  # the new codes replaced unused ones
SECOND_FACTOR = "recovery_code"  # how the sign-in log names it


def _new_codes(request) -> list[str] | None:
    try:
        return crypto.decrypt(request.session[CODES_SESSION_KEY]).split()
    except (KeyError, ValueError):
        return None


def _refusal(request) -> HttpResponse | None:
    if authentication_policy(request.user).allow_recovery_codes:
        return None
    messages.error(request, _("Your organization does not allow recovery codes."))
    return redirect("security_info:index")


@never_cache
@require_GET
@sudo_required
def index(request: PortalRequest) -> HttpResponse:
    """Show how many codes are left, with a button to create new ones."""
    # Leaving the result page forgets them.
    request.session.pop(CODES_SESSION_KEY, None)
    request.session.pop(REPLACED_SESSION_KEY, None)
    refusal = _refusal(request)
    if refusal:
        return refusal
    left = recovery_codes.remaining(request.user)
    return render(
        request,
        "security_info/recovery_codes/index.html",
        {"left": left, "running_low": left <= LOW, "count": recovery_codes.COUNT},
    )


@never_cache
@require_POST
@sudo_required
def generate(request: PortalRequest) -> HttpResponse:
    refusal = _refusal(request)
    if refusal:
        return refusal
    # Only someone who had codes left is told that those stopped working.
    request.session[REPLACED_SESSION_KEY] = recovery_codes.remaining(request.user) > 0
    codes = recovery_codes.generate(request, request.user)
    request.session[CODES_SESSION_KEY] = crypto.encrypt("\n".join(codes))
    return redirect("security_info:show_recovery_codes")


@never_cache
@require_GET
@sudo_required
def show(request: PortalRequest) -> HttpResponse:
    """The result page: the new codes, to download, print or copy before leaving."""
    codes = _new_codes(request)
    if codes is None:
        return redirect("security_info:recovery_codes")
    return render(
        request,
        "security_info/recovery_codes/show.html",
        {
            "codes": codes,
            "codes_text": "\n".join(codes),
            "replaced": request.session.get(REPLACED_SESSION_KEY, False),
        },
    )


@never_cache
@require_GET
@sudo_required
def download(request: PortalRequest) -> HttpResponse:
    codes = _new_codes(request)
    if codes is None:
        messages.error(
            request, _("Your recovery codes are shown only once. Create new ones to save them.")
        )
        return redirect("security_info:recovery_codes")
    text = render_to_string(
        "security_info/recovery_codes/codes.txt",
        {"codes": codes, "user": request.user, "created": timezone.now()},
        request=request,
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    return response


@require_POST
@sudo_required
def saved(request: PortalRequest) -> HttpResponse:
    """The user saved the codes: forget them for good."""
    request.session.pop(CODES_SESSION_KEY, None)
    request.session.pop(REPLACED_SESSION_KEY, None)
    messages.success(request, _("Recovery codes saved. Keep them somewhere safe."))
    return redirect("security_info:index")


# Signing in ---------------------------------------------------------------------------------


@never_cache
@login_not_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def sign_in(request) -> HttpResponse:
    """Finish the second sign-in step with a recovery code instead of a method."""
    stage = SecondFactorStage.resume(request)
    if stage is None:
        return redirect("account_login")
    if refused := stage.refuse_if_locked():
        return refused
    user = stage.login.user
    if not authentication_policy(user).allow_recovery_codes:
        messages.error(request, _("Your organization does not allow recovery codes."))
        return redirect("sign_in:verify")
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accepted = recovery_codes.use(request, user, form.cleaned_data["code"])
        except RateLimited:
            stage.record_failure(SignInEvent.Reason.RATE_LIMITED, SECOND_FACTOR)
            raise
        if accepted:
            _warn_if_running_low(request, user)
            return stage.finish(SECOND_FACTOR)
        if locked := stage.wrong_code(SignInEvent.Reason.INVALID_CODE, SECOND_FACTOR):
            return locked
        form.add_error("code", _("That code is not right, or it was used already."))
    return render(request, "security_info/recovery_codes/sign_in.html", {"form": form})


def _warn_if_running_low(request, user) -> None:
    left = recovery_codes.remaining(user)
    if left <= LOW:
        messages.warning(
            request,
            ngettext(
                "You have %(count)s recovery code left. Create new ones.",
                "You have %(count)s recovery codes left. Create new ones.",
                left,
            )
            % {"count": left},
        )
