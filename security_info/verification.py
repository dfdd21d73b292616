"""Proving possession of a method: at sign-in, in sudo mode, and while registering one.

One path for every option: `start()` sends a code where the kind sends one, `verify()` checks
what the person typed. A phone or address being registered is proved by
`check_registration()`. Every one of them counts the check against the person's "check_code"
limit, so no page can check a code without it. Passkeys have their own ceremony
(security_info.passkeys); recovery codes and passes their own pages.
"""

from django.http import HttpRequest
from django.utils import timezone

from portal import ratelimits
from security_info import challenges
from security_info.challenges import Challenge, TooManyAttempts
from security_info.kinds import SignInOption
from security_info.models import Method

REGISTER = "register"  # the purpose of a code sent to a phone or address being registered


def start(request: HttpRequest, option: SignInOption, purpose: str) -> None:
    """Begin proving the option: send its code, if it has one (raise SendRefused if that
    fails, RateLimited past the send limits)."""
    option.kind.start(request, option, purpose)


def verify(request: HttpRequest, option: SignInOption, purpose: str, code: str) -> None:
    """Accept the code for this option or raise ChallengeError (RateLimited past
    "check_code"); note the method as used."""
    _count_check(request, option.method.user_id)
    option.kind.verify(request, option, purpose, code)
    mark_used(option.method)


def check_registration(request: HttpRequest, code: str) -> Challenge:
    """Accept the code sent to the phone or address the signed-in user is registering, and
    return its challenge; raise ChallengeError if it is wrong (RateLimited past "check_code").

    A challenge that ended with too many wrong codes is dropped, as an expired one is: the
    next code goes to a number or address typed again, never to the old challenge resent.
    """
    _count_check(request, request.user.pk)
    try:
        return challenges.check(request, REGISTER, code)
    except TooManyAttempts:
        challenges.clear(request, REGISTER)
        raise


def mark_used(method: Method) -> None:
    method.last_used_at = timezone.now()
    method.save(update_fields=["last_used_at"])


def _count_check(request: HttpRequest, user_id: int | None) -> None:
    """Count one code check against the person's limit, whichever page it comes from."""
    ratelimits.consume(request, "check_code", key=f"user:{user_id}")
