"""How the project plugs django-allauth into its apps: the first factor, then the stages.

allauth checks the password; around it, this adapter turns away floods and locked accounts
(before the password is looked at), counts wrong ones, and writes every attempt to the sign-in
log. After the password come the stages of settings.SIGN_IN_STAGES, in that order; the success
is recorded once they all let the sign-in through.

It lives in the project package because it wires the page apps together; the apps themselves
depend only inward (on portal, signins and organizations).
"""

from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from portal import ratelimits
from portal.authentication import first_factor, second_factor
from portal.http import client_ip, once_per_request
from security_info.password import lockout
from signins.models import SignInEvent
from signins.services import record_failed_sign_in, record_sign_in, sign_in_app


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        """The steps after the password, from settings.SIGN_IN_STAGES."""
        return list(settings.SIGN_IN_STAGES)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Admins create accounts; nobody signs themselves up."""
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Turn away addresses with many wrong passwords lately, then attempts on a locked
        account."""
        email = credentials.get("email", "")
        user = find_account(request, email)
        try:
            ratelimits.consume(request, "login_failed", dry_run=True)
        except ratelimits.RateLimited:
            record_failed_sign_in(request, SignInEvent.Reason.RATE_LIMITED, email=email, user=user)
            raise
        if request.user.is_authenticated:  # re-verifying for sudo mode: see authentication_failed
            ratelimits.consume(
                request, "check_current_password", key=self._key(request), dry_run=True
            )
            return
        # Checked before the password, so even the right one is refused while locked. An
        # address with no account locks like one with an account (see lockout.py).
        if user:
            seconds = lockout.seconds_locked(user, client_ip(request))
        else:
            seconds = lockout.unknown_locked_for(email) if email else 0
        if seconds:
            reason = SignInEvent.Reason.LOCKED_OUT if user else SignInEvent.Reason.UNKNOWN_ACCOUNT
            record_failed_sign_in(request, reason, email=email, user=user)
            raise ValidationError(lockout.lock_message(seconds), code="locked_out")

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = credentials.get("email", "")
        # At the limit already, the next attempt is refused before its password is checked.
        with suppress(ratelimits.RateLimited):
            ratelimits.consume(request, "login_failed")
        if request.user.is_authenticated:
            # A signed-in user re-verifying for sudo mode: their own wrong passwords do not
            # lock their own familiar side; they are limited apart.
            ratelimits.consume(request, "check_current_password", key=self._key(request))
            return
        user = find_account(request, email)
        familiar = lockout.is_familiar(user, client_ip(request))  # the same query, account or not
        if user is None:
            seconds = lockout.register_unknown_failure(email) if email else 0
            record_failed_sign_in(request, SignInEvent.Reason.UNKNOWN_ACCOUNT, email=email)
            if seconds:
                raise ValidationError(lockout.lock_message(seconds), code="locked_out")
            return
        seconds = lockout.register_failure(user, familiar)
        if not seconds:
            record_failed_sign_in(
                request, SignInEvent.Reason.WRONG_PASSWORD, email=email, user=user
            )
            return
        record_failed_sign_in(request, SignInEvent.Reason.LOCKED_OUT, email=email, user=user)
        raise ValidationError(lockout.lock_message(seconds), code="locked_out")

    def respond_user_inactive(self, request: HttpRequest, user) -> HttpResponse:
        # Reached only with the right password, so saying "disabled" reveals nothing new.
        record_failed_sign_in(
            request,
            SignInEvent.Reason.INACTIVE_ACCOUNT,
            user=user,
            method=first_factor(request, user),
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
            method=first_factor(request, user),
            second_factor=second_factor(request, user),
        )
        return super().post_login(request, user, **kwargs)

    @staticmethod
    def _key(request: HttpRequest) -> str:
        return f"user:{request.user.pk}"


def find_account(request: HttpRequest | None, email: str | None):
    """Return the account at the typed address, if any, read once per sign-in attempt: the
    checks before the password, the password check and the bookkeeping after it share it.
    Whether it is locked, or has failures to forget, comes with it (lockout.annotate_locked),
    so a sign-in on an account with neither pays no other query for them."""
    if not email:
        return None
    users = get_user_model().objects

    def find():
        return lockout.annotate_locked(users.by_email(email)).first()

    if request is None:
        return find()
    return once_per_request(request, f"sign-in account:{users.normalize_email(email)}", find)


class AccountBackend(AuthenticationBackend):
    """allauth's password check, on the account the adapter found for this attempt."""

    _request: HttpRequest | None = None

    def authenticate(self, request: HttpRequest | None, **credentials: Any):
        self._request = request
        return super().authenticate(request, **credentials)

    def _authenticate_by_email(self, email: str, password: str):
        return self._check_password(find_account(self._request, email), password)


def limit_floods(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count every POST to the sign-in page against "login", well-formed or not, and record
    the ones turned away (it wraps allauth's sign-in view in myaccount/urls.py)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            try:
                ratelimits.consume(request, "login")
            except ratelimits.RateLimited:
                email = request.POST.get("login", "")
                record_failed_sign_in(request, SignInEvent.Reason.RATE_LIMITED, email=email)
                raise
        return view(request, *args, **kwargs)

    return wrapper
