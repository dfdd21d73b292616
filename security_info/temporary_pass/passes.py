"""The Temporary Access Pass: a time-limited pass an admin issues so someone can sign in
without their methods (a new hire, a lost phone) and register new ones.

One pass per user; issuing another replaces it. Only a keyed hash is stored, and the pass is
shown once, to the admin who issued it.
"""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from organizations.policies import authentication_policy
from portal import crypto, ratelimits
from security_info.models import TemporaryAccessPass
from security_info.temporary_pass.kind import TemporaryPass
from signins.models import SecurityEvent, SignInEvent
from signins.services import record_failed_sign_in, record_security_event

# Lower-case letters and digits without the look-alikes 0/o, 1/l/i: about 5 bits a character,
# 40 in the default 8 (the policy sets 8 to 48); guessing is held off by the rate limits.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PURPOSE = "temporary_pass"
# Any policy's bounds lie within these (Microsoft's: 10 minutes to 30 days).
MIN_MINUTES = 10
MAX_MINUTES = 60 * 24 * 30
# Compared against when there is no pass, so an unknown account takes as long as a wrong pass.
_NO_PASS = "0" * 64


def normalise(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-").lower()


def formatted(code: str) -> str:
    """Group the pass by four for reading out: "abcd-efgh-jkmn"."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@transaction.atomic
def issue(request, user, minutes: int, one_time: bool) -> str:
    """Create the user's pass, as long as their policy says, replacing any earlier one; return
    it, formatted, to show once."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValueError(f"a pass lasts {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}")
    length = authentication_policy(user).temporary_pass_length
    code = "".join(secrets.choice(ALPHABET) for _position in range(length))
    now = timezone.now()
    TemporaryAccessPass.objects.update_or_create(
        user=user,
        defaults={
            "digest": crypto.digest(code, PURPOSE),
            "created_at": now,
            "expires_at": now + timedelta(minutes=minutes),
            "one_time": one_time,
            "used_at": None,
            "issued_by": request.user if request.user.is_authenticated else None,
        },
    )
    record_security_event(
        request,
        user,
        SecurityEvent.Kind.TEMPORARY_PASS_ISSUED,
        minutes=minutes,
        one_time=one_time,
    )
    return formatted(code)


def authenticate(request, email: str, code: str):
    """Return the active user whose usable pass this is, and spend it if single-use; else None.

    Every failure is logged with its reason, but looks the same to the person trying. Raise
    RateLimited, without checking, after too many attempts from the IP, or for the address from
    the IP: wrong passes typed elsewhere never block the real one.
    """
    email = " ".join(email.split()).lower()
    try:
        ratelimits.consume(request, "check_temporary_pass", key=email)
    except ratelimits.RateLimited:
        _record_failure(request, email, None, SignInEvent.Reason.RATE_LIMITED)
        raise
    user = get_user_model().objects.by_email(email).first()
    found = TemporaryAccessPass.objects.filter(user=user).first() if user else None
    right = crypto.matches(normalise(code), PURPOSE, found.digest if found else _NO_PASS)
    if not (user and found and right):
        reason = (
            SignInEvent.Reason.WRONG_TEMPORARY_PASS if user else SignInEvent.Reason.UNKNOWN_ACCOUNT
        )
        _record_failure(request, email, user, reason)
        return None
    if not user.is_active:
        _record_failure(request, email, user, SignInEvent.Reason.INACTIVE_ACCOUNT)
        return None
    # Conditional update: of two sign-ins racing with a single-use pass, only one gets in.
    now = timezone.now()
    spent = (
        TemporaryAccessPass.objects.filter(pk=found.pk, expires_at__gt=now)
        .filter(Q(one_time=False) | Q(used_at=None))
        .update(used_at=now)
    )
    if not spent:
        _record_failure(request, email, user, SignInEvent.Reason.SPENT_TEMPORARY_PASS)
        return None
    return user


@transaction.atomic
def delete(request, user) -> bool:
    """Delete the user's pass, if they have one; tell whether they had."""
    deleted, _rows = TemporaryAccessPass.objects.filter(user=user).delete()
    if deleted:
        record_security_event(
            request, user, SecurityEvent.Kind.METHOD_DELETED, method=TemporaryPass.label
        )
    return bool(deleted)


def _record_failure(request, email: str, user, reason: SignInEvent.Reason) -> None:
    record_failed_sign_in(request, reason, email=email, user=user, method="temporary_pass")
