"""Proving possession of a registered method: at sign-in and in sudo mode.

One path for every option: `start()` sends a code where the kind sends one, `verify()` checks
what the person typed. Passkeys have their own ceremony (security_info.passkeys); recovery codes
and passes their own pages.
"""

from django.http import HttpRequest
from django.utils import timezone

from portal import ratelimits
from security_info.kinds import SignInOption
from security_info.models import Method


def start(request: HttpRequest, option: SignInOption, purpose: str) -> None:
    """Begin proving the option: send its code, if it has one (raise SendRefused if that
    fails, RateLimited past the send limits)."""
    option.kind.start(request, option, purpose)


def verify(request: HttpRequest, option: SignInOption, purpose: str, code: str) -> None:
    """Accept the code for this option or raise ChallengeError (RateLimited past
    "check_code"); note the method as used."""
    ratelimits.consume(request, "check_code", key=f"user:{option.method.user_id}")
    option.kind.verify(request, option, purpose, code)
    mark_used(option.method)


def mark_used(method: Method) -> None:
    Method.objects.filter(pk=method.pk).update(last_used_at=timezone.now())
