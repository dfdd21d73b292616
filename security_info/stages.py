"""The second step of signing in, after the password, as two allauth login stages.

RememberedBrowserStage lets a browser remembered after a multi-factor sign-in skip the second
step; SecondFactorStage challenges everyone else with their default method (or the strongest,
under a system-preferred policy), and its pages (security_info.views.verify, and the recovery
code, pass and passkey pages) let them pick another way. Both are listed in
settings.SIGN_IN_STAGES.
"""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.crypto import salted_hmac

from organizations.policies import authentication_policy
from portal.authentication import (
    STRONG_FIRST_FACTORS,
    LoginStage,
    authentication_records,
    first_factor,
    paused_stage,
    record_factor,
)
from portal.ratelimits import RateLimited
from security_info import sign_in_locks, verification
from security_info.challenges import SendRefused
from security_info.methods import default_option, methods_of, sign_in_options
from signins.models import SignInEvent
from signins.services import (
    begin_sign_in,
    end_sign_in_attempt,
    finish_second_step,
    record_second_step_failure,
    sign_in_app,
)

OPTION_SESSION_KEY = "security_info.sign_in.option"
ERROR_SESSION_KEY = "security_info.sign_in.error"
TRUST_COOKIE = "mfa_trusted"
TRUST_SALT = "security_info.trusted"
REMEMBERED = "remembered_browser"  # the login's state, when RememberedBrowserStage let it by


class RememberedBrowserStage(LoginStage):
    """Let a browser that was remembered after a multi-factor sign-in skip the second step."""

    key = "remembered_browser"

    def handle(self) -> tuple[None, bool]:
        user = self.login.user
        policy = authentication_policy(user)
        if is_remembered_browser(self.request, user, policy):
            self.login.state[REMEMBERED] = True
        return None, True


class SecondFactorStage(LoginStage):
    """Challenge the user with their default method; its pages finish or abort the stage."""

    key = "second_factor"
    urlname = "sign_in:verify"

    def handle(self) -> tuple[HttpResponse | None, bool]:
        user = self.login.user
        if self.login.state.get(REMEMBERED):
            return None, True
        records = authentication_records(self.request, user)
        if any(record.get("method") in STRONG_FIRST_FACTORS for record in records):
            return None, True
        policy = authentication_policy(user)
        option = default_option(sign_in_options(methods_of(self.request, user), policy), policy)
        if option is None:  # nothing to challenge with (see the register interrupt)
            return None, True
        # The attempt is on record from here, as "interrupted" until its outcome is known.
        begin_sign_in(
            self.request,
            user,
            app=self.app,
            method=first_factor(self.request, user) or "password",
            second_factor=option.second_factor,
        )
        if sign_in_locks.is_locked(user):  # no code goes out; the step says why and ends
            return redirect(self.urlname), True
        self.request.session[OPTION_SESSION_KEY] = option.key
        self.request.session.pop(ERROR_SESSION_KEY, None)
        try:
            verification.start(self.request, option, "sign_in")
        except SendRefused as e:
            self.request.session[ERROR_SESSION_KEY] = str(e)
            self.record_failure(e.reason, option.second_factor)
        except RateLimited as e:
            # Other methods may still work: say so on the step instead of stopping the sign-in.
            self.request.session[ERROR_SESSION_KEY] = e.message
            self.record_failure(SignInEvent.Reason.RATE_LIMITED, option.second_factor)
        return redirect(self.urlname), True

    @classmethod
    def resume(cls, request: HttpRequest) -> "SecondFactorStage | None":
        """Return the stage if this session's sign-in waits on it, else None."""
        return paused_stage(request, cls.key)

    @property
    def app(self) -> SignInEvent.App:
        return sign_in_app(self.request, self.login.redirect_url or "")

    def record_failure(self, reason: str, second_factor: str) -> None:
        """Write the failed attempt at the second step to the sign-in log."""
        record_second_step_failure(
            self.request,
            reason,  # type: ignore[arg-type]
            user=self.login.user,
            app=self.app,
            method=first_factor(self.request, self.login.user) or "password",
            second_factor=second_factor,
        )

    def abort(self) -> HttpResponse:
        """End the sign-in here; the attempt keeps what it has (interrupted, if nothing)."""
        end_sign_in_attempt(self.request)
        return super().abort()

    def refuse_if_locked(self) -> HttpResponse | None:
        """End the sign-in with the reason when the account's second step is locked."""
        if not sign_in_locks.is_locked(self.login.user):
            return None
        self.record_failure(SignInEvent.Reason.LOCKED_OUT, "")
        messages.error(self.request, sign_in_locks.locked_message())
        return self.abort()

    def wrong_code(self, reason: str, second_factor: str) -> HttpResponse | None:
        """Record a wrong code and count it toward the account's cap; past the cap, end the
        sign-in with the reason (the response), else None: the step asks again."""
        self.record_failure(reason, second_factor)
        if not sign_in_locks.register_failure(self.request, self.login.user):
            return None
        messages.error(self.request, sign_in_locks.locked_message())
        return self.abort()

    def finish(self, second_factor: str, *, remember: bool = False) -> HttpResponse:
        """Record the proved second factor and let allauth complete the sign-in; remember the
        browser when asked and the policy allows it."""
        user = self.login.user
        sign_in_locks.register_success(user)
        record_factor(self.request, user, method="mfa", type=second_factor)
        finish_second_step(self.request)
        self.request.session.pop(OPTION_SESSION_KEY, None)
        response = self.exit()
        days = authentication_policy(user).remember_browser_days
        if remember and days:
            remember_browser(self.request, response, user, days)
        return response


def remember_browser(request: HttpRequest, response: HttpResponse, user, days: int) -> None:
    """Let this browser skip the second step for the user for `days` days: a signed cookie,
    sent only to the server (and only over HTTPS wherever the session cookie is)."""
    response.set_cookie(
        TRUST_COOKIE,
        signing.dumps(_trust_value(user), salt=TRUST_SALT),
        max_age=days * 24 * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def _trust_value(user) -> dict:
    """Name the user and fingerprint their account with a keyed hash: a password change (a new
    hash, with a new salt) or a new address ends the trust, and nothing of the hash shows."""
    account = f"{user.pk}:{user.email}:{user.password}"
    fingerprint = salted_hmac(f"{TRUST_SALT}.account", account, algorithm="sha256").hexdigest()
    return {"user": user.pk, "account": fingerprint[:32]}


def is_remembered_browser(request: HttpRequest, user, policy) -> bool:
    """Tell whether this browser was remembered after a multi-factor sign-in, within policy."""
    if not policy.remember_browser_days or TRUST_COOKIE not in request.COOKIES:
        return False
    try:
        value = signing.loads(
            request.COOKIES[TRUST_COOKIE],
            salt=TRUST_SALT,
            max_age=policy.remember_browser_days * 24 * 60 * 60,
        )
    except signing.BadSignature:  # tampered with, expired, or not ours
        return False
    # Anything else our key signed here, such as a cookie in an older format, is not trust.
    return value == _trust_value(user)
