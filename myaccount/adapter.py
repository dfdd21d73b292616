"""How the project plugs django-allauth into its apps: closed signup, the second sign-in step,
smart lockout, expired passwords, and every attempt recorded.

It lives in the project package because it wires the page apps together; the apps themselves
depend only inward (on portal and signins)."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from portal.http import client_ip
from security_info import lockout, passwords
from security_info.apps import MUST_CHANGE_PASSWORD_SESSION_KEY
from signins.models import SignInEvent
from signins.services import record_sign_in, sign_in_app


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        """Keep allauth's own stages (inactive under our settings), then ours."""
        return [*super().get_login_stages(), "security_info.stages.SecondFactorStage"]

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Admins create accounts; nobody signs themselves up."""
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Turn away floods from one address, then attempts on a locked account."""
        user = self._find_user(credentials.get("email"), with_lock=True)
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            _record_failure(request, credentials, user, SignInEvent.Reason.RATE_LIMITED)
            raise
        # Checked before the password, so even the right one is refused while locked.
        seconds = lockout.seconds_locked(user, client_ip(request)) if user else 0
        if seconds:
            _record_failure(request, credentials, user, SignInEvent.Reason.LOCKED_OUT)
            raise ValidationError(lockout.lock_message(seconds), code="locked_out")

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        user = self._find_user(credentials.get("email"))
        if user is None:  # never locked, so it looks like any wrong password
            _record_failure(request, credentials, None, SignInEvent.Reason.UNKNOWN_ACCOUNT)
            return
        familiar = lockout.is_familiar(user, client_ip(request))
        seconds = lockout.register_failure(user, familiar)
        if not seconds:
            _record_failure(request, credentials, user, SignInEvent.Reason.WRONG_PASSWORD)
            return
        _record_failure(request, credentials, user, SignInEvent.Reason.LOCKED_OUT)
        raise ValidationError(lockout.lock_message(seconds), code="locked_out")

    def respond_user_inactive(self, request: HttpRequest, user) -> HttpResponse:
        # Reached only with the right password, so saying "disabled" reveals nothing new.
        record_sign_in(
            request,
            result=SignInEvent.Result.FAILURE,
            reason=SignInEvent.Reason.INACTIVE_ACCOUNT,
            user=user,
            app=sign_in_app(request),
            method=_first_factor(request, user),
        )
        return super().respond_user_inactive(request, user)

    def post_login(self, request: HttpRequest, user, **kwargs: Any) -> HttpResponse:
        # Before the success is recorded: a first sign-in from an address is unfamiliar.
        lockout.forget_failures(user, client_ip(request))
        record_sign_in(
            request,
            result=SignInEvent.Result.SUCCESS,
            user=user,
            app=sign_in_app(request, kwargs.get("redirect_url") or ""),
            method=_first_factor(request, user),
            second_factor=_second_factor(request, user),
        )
        # An expired or temporary password is replaced before anything else; the change page
        # doesn't ask for it again, as it was typed just now (hence only after a password).
        if _first_factor(request, user) == "password" and (
            user.must_change_password or passwords.is_expired(user)
        ):
            request.session[MUST_CHANGE_PASSWORD_SESSION_KEY] = (
                "temporary" if user.must_change_password else "expired"
            )
        return super().post_login(request, user, **kwargs)

    @staticmethod
    def _find_user(email: str | None, *, with_lock: bool = False):
        if not email:
            return None
        users = get_user_model().objects.by_email(email)
        # The lock flag comes with the user, so an unlocked sign-in pays no extra query.
        return (lockout.annotate_locked(users) if with_lock else users).first()


def _record_failure(request: HttpRequest, credentials: dict, user, reason) -> None:
    record_sign_in(
        request,
        result=SignInEvent.Result.FAILURE,
        reason=reason,
        email=credentials.get("email", ""),
        user=user,
        app=sign_in_app(request),
        method="password",
    )


def _first_factor(request: HttpRequest, user) -> str:
    records = get_authentication_records(request, user)
    return records[0]["method"] if records else ""


def _second_factor(request: HttpRequest, user) -> str:
    records = get_authentication_records(request, user)
    return next((r.get("type", "") for r in records[1:] if r["method"] == "mfa"), "")
