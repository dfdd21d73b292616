"""Sudo mode: pages that show or change sensitive things need a recent strong sign-in.

"Strong" is a second factor (a registered method, a passkey, a Temporary Access Pass) proved at
sign-in or since; for someone with no second factor yet, the password. The times come from the
session's authentication records. Two settings plug the page apps in: SUDO_VERIFY_URL is where
people prove themselves again, SUDO_HAS_SECOND_FACTOR tells whether someone has a second factor
to prove.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.module_loading import import_string

from portal.authentication import STRONG_FIRST_FACTORS, authentication_records, record_factor
from portal.http import once_per_request

STRONG_FACTORS = STRONG_FIRST_FACTORS | {"mfa"}


def has_second_factor(request: HttpRequest) -> bool:
    """Tell whether the signed-in user has a second factor (answered once per request)."""
    check: Callable[[HttpRequest], bool] = import_string(settings.SUDO_HAS_SECOND_FACTOR)
    return once_per_request(request, "has_second_factor", lambda: check(request))


def last_strong_sign_in(request: HttpRequest, *, has_mfa: bool) -> float | None:
    """Return when the session last proved a strong factor (epoch seconds), if ever."""
    accepted = STRONG_FACTORS if has_mfa else STRONG_FACTORS | {"password"}
    times = [
        record["at"]
        for record in authentication_records(request, request.user)  # type: ignore[arg-type]
        if record.get("method") in accepted
    ]
    return max(times, default=None)


def is_recent(request: HttpRequest, *, has_mfa: bool, max_age: int | None = None) -> bool:
    """Tell whether the session proved a strong factor within `max_age` seconds."""
    at = last_strong_sign_in(request, has_mfa=has_mfa)
    return at is not None and time.time() - at <= (max_age or settings.SUDO_SECONDS)


def record_verification(request: HttpRequest, second_factor: str) -> None:
    """Note in the session that the signed-in user just proved a second factor."""
    record_factor(
        request,
        request.user,  # type: ignore[arg-type]
        method="mfa",
        type=second_factor,
        reauthenticated=True,
    )


def verify_url(next_url: str) -> str:
    """Where to prove a strong factor again, coming back to `next_url` afterwards."""
    return f"{reverse(settings.SUDO_VERIFY_URL)}?{urlencode({'next': next_url})}"


def sudo_required(view: Callable[..., HttpResponse] | None = None, *, max_age: int | None = None):
    """Send the user to re-verify first when their last strong sign-in is too old."""

    def decorator(view_func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view_func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if is_recent(request, has_mfa=has_second_factor(request), max_age=max_age):
                return view_func(request, *args, **kwargs)
            target = request.get_full_path() if request.method == "GET" else request.path
            return redirect(verify_url(target))

        return wrapper

    return decorator(view) if view else decorator
