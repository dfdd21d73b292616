"""Sudo mode: pages that show or change security info need a recent strong sign-in.

"Strong" is a multi-factor sign-in or re-verification (any registered method, a passkey, a
Temporary Access Pass); for someone with no multi-factor method yet, the password. The times
come from allauth's per-session authentication records.
"""

import time
from functools import wraps

from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from organizations.models import get_policy

STRONG_METHODS = {"mfa", "passkey", "temporary_pass"}


def last_strong_sign_in(request, has_mfa: bool) -> float | None:
    """Return when the session last proved a strong factor (epoch seconds), if ever."""
    accepted = STRONG_METHODS if has_mfa else STRONG_METHODS | {"password"}
    times = [
        record["at"]
        for record in get_authentication_records(request, request.user)
        if record.get("method") in accepted
    ]
    return max(times, default=None)


def is_recent(request, has_mfa: bool, max_age: int) -> bool:
    at = last_strong_sign_in(request, has_mfa)
    return at is not None and time.time() - at <= max_age


def record_verification(request, second_factor: str) -> None:
    """Note in the session that the signed-in user just proved a second factor."""
    record_authentication(
        request, request.user, method="mfa", type=second_factor, reauthenticated=True
    )


def sudo_required(view=None, *, max_age: int | None = None):
    """Send the user to re-verify first when their last strong sign-in is too old."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            from security_info.methods import is_second_factor
            from security_info.services import user_methods

            seconds = max_age or settings.SUDO_SECONDS
            policy = get_policy(request.user)
            has_mfa = any(is_second_factor(m, policy) for m in user_methods(request))
            if is_recent(request, has_mfa, seconds):
                return view_func(request, *args, **kwargs)
            target = request.get_full_path() if request.method == "GET" else request.path
            query = urlencode({"next": target})
            return redirect(f"{reverse('security_info:verify')}?{query}")

        return wrapper

    return decorator(view) if view else decorator
