"""Verify your identity: the second step of signing in, and re-verification for sudo mode."""

from allauth.account.forms import ReauthenticateForm
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from organizations.policies import authentication_policy
from portal.authentication import record_factor
from portal.http import PortalRequest, safe_next
from portal.ratelimits import RateLimited
from portal.sudo import record_verification
from security_info import challenges, sign_in_locks, verification
from security_info.challenges import ChallengeError, SendRefused, TooManyAttempts
from security_info.forms import CodeForm
from security_info.methods import KINDS, default_option, sign_in_options
from security_info.models import Method, PhoneCall
from security_info.stages import ERROR_SESSION_KEY, OPTION_SESSION_KEY, SecondFactorStage
from signins.models import SignInEvent

SUDO_OPTION_SESSION_KEY = "security_info.sudo.option"
NOT_APPROVED_YET = gettext_lazy("The call isn't approved yet. Answer it and press #.")


def _options(user):
    policy = authentication_policy(user)
    return policy, sign_in_options(Method.objects.filter(user=user), policy)


def _chosen(request, session_key, options, policy):
    wanted = request.session.get(session_key)
    return next((o for o in options if o.key == wanted), None) or default_option(options, policy)


def _send_progress(request, purpose: str, option, to: str) -> dict:
    """Whether a code was asked for this option (`sent`), whether it is known to have gone
    out (`delivered`), what to say about its send until then (see challenges.send_status),
    and for a call that asks to press #, its state (challenges.call_status)."""
    challenge = challenges.current(request, purpose)
    if challenge is None or challenge.method_id != option.method.pk:
        return {"sent": False, "delivered": False, "send_status": None, "call_status": None}
    status = challenges.send_status(request, challenge, to)
    return {
        "sent": True,
        "delivered": status is None,
        "send_status": status,
        "approval": challenge.approve,
        "call_status": challenges.call_status(request, challenge, to),
    }


def _approved(request, purpose: str, option) -> bool:
    """Use the approval of this option's call, if the person pressed # (once)."""
    if request.method != "POST" or request.POST.get("call") != "approved":
        return False
    challenge = challenges.current(request, purpose)
    if challenge is None or challenge.method_id != option.method.pk:
        return False
    if challenges.take_approval(request, purpose) is None:
        messages.info(request, NOT_APPROVED_YET)
        return False
    verification.mark_used(option.method)
    return True


def _fallbacks() -> list:
    """The other pages that can finish the second step (a recovery code, a pass)."""
    return [kind.sign_in_fallback for kind in KINDS.values() if kind.sign_in_fallback]


@never_cache
@login_not_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def sign_in_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the code of the chosen method; finish the sign-in when it is right."""
    stage = SecondFactorStage.resume(request)
    if stage is None:
        return redirect("account_login")
    if refused := stage.refuse_if_locked():
        return refused
    policy, options = _options(stage.login.user)
    option = _chosen(request, OPTION_SESSION_KEY, options, policy)
    if option is None:  # the methods went away meanwhile (an admin reset): start over
        return stage.abort()
    if _approved(request, "sign_in", option):
        return stage.finish(option.second_factor, remember=bool(request.POST.get("remember")))
    progress = _send_progress(request, "sign_in", option, option.masked_destination)
    call_status = progress["call_status"]
    if call_status and call_status["state"] == PhoneCall.State.REPORTED:
        challenges.clear(request, "sign_in")
        stage.record_failure(SignInEvent.Reason.CALL_REPORTED, option.second_factor)
        messages.error(request, call_status["message"])
        return stage.abort()
    form = CodeForm(None if progress.get("approval") else request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.verify(request, option, "sign_in", form.cleaned_data["code"])
        except RateLimited:
            stage.record_failure(SignInEvent.Reason.RATE_LIMITED, option.second_factor)
            raise
        except TooManyAttempts as e:
            if locked := stage.wrong_code(e.reason, option.second_factor):
                return locked
            messages.error(request, str(e))
            return stage.abort()
        except ChallengeError as e:
            if locked := stage.wrong_code(e.reason, option.second_factor):
                return locked
            form.add_error("code", str(e))
        else:
            return stage.finish(option.second_factor, remember=bool(request.POST.get("remember")))
    return render(
        request,
        "security_info/verify/sign_in.html",
        {
            **progress,
            "form": form,
            "option": option,
            "prompt": option.prompt(sent=progress["delivered"], reveal=False),
            "others": [o for o in options if o.key != option.key],
            "fallbacks": _fallbacks(),
            "send_error": request.session.pop(ERROR_SESSION_KEY, ""),
            "remember_days": policy.remember_browser_days,
        },
    )


@never_cache
@login_not_required
@require_POST
def sign_in_switch(request: HttpRequest) -> HttpResponse:
    """Sign in another way: pick another option, and send its code if it needs one."""
    stage = SecondFactorStage.resume(request)
    if stage is None:
        return redirect("account_login")
    _policy, options = _options(stage.login.user)
    option = next((o for o in options if o.key == request.POST.get("option")), None)
    if option is None:
        messages.error(request, _("Choose one of the listed methods."))
        return redirect("sign_in:verify")
    request.session[OPTION_SESSION_KEY] = option.key
    try:
        verification.start(request, option, "sign_in")
    except RateLimited:
        stage.record_failure(SignInEvent.Reason.RATE_LIMITED, option.second_factor)
        raise
    except SendRefused as e:
        request.session[ERROR_SESSION_KEY] = str(e)
        stage.record_failure(e.reason, option.second_factor)
    return redirect("sign_in:verify")


@never_cache
@login_not_required
@require_POST
def sign_in_cancel(request: HttpRequest) -> HttpResponse:
    stage = SecondFactorStage.resume(request)
    if stage is None:
        return redirect("account_login")
    challenges.clear(request, "sign_in")
    return stage.abort()


# Sudo mode ----------------------------------------------------------------------------------


def _safe_next(request) -> str:
    return safe_next(
        request, request.POST.get("next") or request.GET.get("next"), "/security-info/"
    )


@never_cache
@sensitive_post_parameters("code", "password")
@require_http_methods(["GET", "POST"])
def verify(request: PortalRequest) -> HttpResponse:
    """Re-verify with any method before seeing or changing security info."""
    policy, options = _options(request.user)
    next_url = _safe_next(request)
    if not options:
        return _verify_password(request, next_url)
    if sign_in_locks.is_locked(request.user):
        messages.error(request, sign_in_locks.locked_message())
        return redirect("portal:overview")
    option = _chosen(request, SUDO_OPTION_SESSION_KEY, options, policy)
    if _approved(request, "sudo", option):
        sign_in_locks.register_success(request.user)
        record_verification(request, option.second_factor)
        request.session.pop(SUDO_OPTION_SESSION_KEY, None)
        return redirect(next_url)
    progress = _send_progress(request, "sudo", option, option.shown_destination)
    form = CodeForm(None if progress.get("approval") else request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.verify(request, option, "sudo", form.cleaned_data["code"])
        except ChallengeError as e:
            if sign_in_locks.register_failure(request, request.user):
                messages.error(request, sign_in_locks.locked_message())
                return redirect("portal:overview")
            form.add_error("code", str(e))
        else:
            sign_in_locks.register_success(request.user)
            record_verification(request, option.second_factor)
            request.session.pop(SUDO_OPTION_SESSION_KEY, None)
            return redirect(next_url)
    return render(
        request,
        "security_info/verify/sudo.html",
        {
            **progress,
            "form": form,
            "option": option,
            "prompt": option.prompt(sent=progress["delivered"], reveal=True),
            "others": [o for o in options if o.key != option.key],
            "next": next_url,
            "minutes": settings.SUDO_SECONDS // 60,
        },
    )


@never_cache
@require_POST
def verify_send(request: PortalRequest) -> HttpResponse:
    """Pick an option for re-verification and send its code when it needs one."""
    _policy, options = _options(request.user)
    option = next((o for o in options if o.key == request.POST.get("option")), None)
    next_url = _safe_next(request)
    if option is None:
        messages.error(request, _("Choose one of the listed methods."))
    else:
        request.session[SUDO_OPTION_SESSION_KEY] = option.key
        # Choosing a method that sends nothing starts it afresh (no wrong codes counted).
        if request.POST.get("send") or not option.sends_code:
            try:
                verification.start(request, option, "sudo")
            except SendRefused as e:
                messages.error(request, str(e))
    return redirect(f"{request.path.removesuffix('send/')}?{urlencode({'next': next_url})}")


def _verify_password(request: PortalRequest, next_url: str) -> HttpResponse:
    """People with no method yet confirm their password instead."""
    form = ReauthenticateForm(data=request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        record_factor(request, request.user, method="password", reauthenticated=True)
        return redirect(next_url)
    form.label_suffix = ""
    return render(request, "security_info/verify/password.html", {"form": form, "next": next_url})
