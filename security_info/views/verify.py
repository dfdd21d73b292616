"""Verify your identity: the second step of signing in, and re-verification for sudo mode."""

from allauth.account.internal.flows.login import record_authentication
from allauth.account.stages import LoginStageController
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from organizations.models import get_policy
from security_info import challenges, verification
from security_info.challenges import ChallengeError, SendRefused, TooManyAttempts
from security_info.forms.common import CodeForm
from security_info.methods import default_option, sign_in_options
from security_info.models import Method
from security_info.stages import (
    ERROR_SESSION_KEY,
    OPTION_SESSION_KEY,
    TRUST_COOKIE,
    SecondFactorStage,
    trust_cookie_value,
)
from security_info.sudo import record_verification
from signins.models import SignInEvent
from signins.services import record_sign_in, sign_in_app

SUDO_OPTION_SESSION_KEY = "security_info.sudo.option"


def _options(user):
    policy = get_policy(user)
    return policy, sign_in_options(Method.objects.filter(user=user), policy)


def _chosen(request, session_key, options, policy):
    wanted = request.session.get(session_key)
    return next((o for o in options if o.key == wanted), None) or default_option(options, policy)


def _enter_stage(request):
    return LoginStageController.enter(request, SecondFactorStage.key)


@never_cache
@login_not_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def sign_in_verify(request) -> HttpResponse:
    """Ask for the code of the chosen method; finish the sign-in when it is right."""
    stage = _enter_stage(request)
    if stage is None:
        return redirect("account_login")
    user = stage.login.user
    policy, options = _options(user)
    option = _chosen(request, OPTION_SESSION_KEY, options, policy)
    if option is None:  # the methods went away meanwhile (an admin reset): start over
        return stage.abort()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.verify(request, option, "sign_in", form.cleaned_data["code"])
        except TooManyAttempts as e:
            _record_failure(request, stage, option, e.reason)
            messages.error(request, str(e))
            return stage.abort()
        except ChallengeError as e:
            _record_failure(request, stage, option, e.reason)
            form.add_error("code", str(e))
        else:
            return _finish(
                request,
                stage,
                option.second_factor,
                remember=bool(request.POST.get("remember")),
                policy=policy,
            )
    return render(
        request,
        "security_info/verify/sign_in.html",
        {
            "form": form,
            "option": option,
            "others": [o for o in options if o.key != option.key],
            "challenge": challenges.current(request, "sign_in"),
            "send_error": request.session.pop(ERROR_SESSION_KEY, ""),
            "remember_days": policy.remember_browser_days,
        },
    )


@never_cache
@login_not_required
@require_POST
def sign_in_switch(request) -> HttpResponse:
    """Sign in another way: pick another option, and send its code if it needs one."""
    stage = _enter_stage(request)
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
    except SendRefused as e:
        request.session[ERROR_SESSION_KEY] = str(e)
        _record_failure(request, stage, option, e.reason)
    return redirect("sign_in:verify")


@never_cache
@login_not_required
@require_POST
def sign_in_cancel(request) -> HttpResponse:
    stage = _enter_stage(request)
    if stage is None:
        return redirect("account_login")
    challenges.clear(request, "sign_in")
    return stage.abort()


def _finish(request, stage, second_factor: str, *, remember: bool, policy) -> HttpResponse:
    """Record the second factor and let allauth complete the sign-in."""
    user = stage.login.user
    record_authentication(request, user, method="mfa", type=second_factor)
    request.session.pop(OPTION_SESSION_KEY, None)
    response = stage.exit()
    if remember and policy.remember_browser_days:
        response.set_cookie(
            TRUST_COOKIE,
            trust_cookie_value(user),
            max_age=policy.remember_browser_days * 24 * 60 * 60,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return response


def _record_failure(request, stage, option, reason: str) -> None:
    record_sign_in(
        request,
        result=SignInEvent.Result.FAILURE,
        reason=reason,
        user=stage.login.user,
        app=sign_in_app(request, stage.login.redirect_url or ""),
        method="password",
        second_factor=option.second_factor,
    )


def finish_sign_in_with(request, stage, second_factor: str) -> HttpResponse:
    """Finish the sign-in stage after a fallback (recovery code, pass) or a passkey proved it."""
    return _finish(
        request, stage, second_factor, remember=False, policy=get_policy(stage.login.user)
    )


# Sudo mode ----------------------------------------------------------------------------------


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/security-info/"


@never_cache
@sensitive_post_parameters("code", "password")
@require_http_methods(["GET", "POST"])
def verify(request) -> HttpResponse:
    """Re-verify with any method before seeing or changing security info."""
    user = request.user
    policy, options = _options(user)
    next_url = _safe_next(request)
    if not options:
        return _verify_password(request, next_url)
    option = _chosen(request, SUDO_OPTION_SESSION_KEY, options, policy)
    challenge = challenges.current(request, "sudo")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.verify(request, option, "sudo", form.cleaned_data["code"])
        except ChallengeError as e:
            form.add_error("code", str(e))
        else:
            record_verification(request, option.second_factor)
            request.session.pop(SUDO_OPTION_SESSION_KEY, None)
            return redirect(next_url)
    return render(
        request,
        "security_info/verify/sudo.html",
        {
            "form": form,
            "option": option,
            "others": [o for o in options if o.key != option.key],
            "challenge": challenge
            if challenge and challenge.method_id == option.method.pk
            else None,
            "needs_send": verification.needs_send(option),
            "next": next_url,
            "minutes": settings.SUDO_SECONDS // 60,
        },
    )


@never_cache
@require_POST
def verify_send(request) -> HttpResponse:
    """Pick an option for re-verification and send its code when it needs one."""
    _policy, options = _options(request.user)
    option = next((o for o in options if o.key == request.POST.get("option")), None)
    next_url = _safe_next(request)
    if option is None:
        messages.error(request, _("Choose one of the listed methods."))
    else:
        request.session[SUDO_OPTION_SESSION_KEY] = option.key
        if verification.needs_send(option) and request.POST.get("send"):
            try:
                verification.start(request, option, "sudo")
            except SendRefused as e:
                messages.error(request, str(e))
    from django.utils.http import urlencode

    return redirect(f"{request.path.removesuffix('send/')}?{urlencode({'next': next_url})}")


def _verify_password(request, next_url: str) -> HttpResponse:
    """People with no method yet confirm their password instead."""
    from allauth.account.forms import ReauthenticateForm

    form = ReauthenticateForm(data=request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        record_authentication(request, request.user, method="password", reauthenticated=True)
        return redirect(next_url)
    form.label_suffix = ""
    return render(request, "security_info/verify/password.html", {"form": form, "next": next_url})
