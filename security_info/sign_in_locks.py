"""The cap on second-factor guessing: wrong codes in a row, per account, from anywhere.

Rate limits slow guessing down per client address and per session; this stops it. Once the
password is known, a six-digit code falls to enough patient guesses, so after
settings.SECOND_FACTOR_MAX_FAILURES wrong codes in a row (NIST SP 800-63B allows at most 100)
the account's second step is locked: no code is accepted, not even the right one, until the
user resets their password or an admin unlocks the account. The user gets an email and the
event is logged when it locks. Any right code before that starts the count again.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from security_info.models import SecondFactorFailures
from signins.models import SecurityEvent
from signins.services import record_security_event


def locked_message() -> str:
    return _(
        "Too many wrong codes were entered for your account, so signing in with a code is "
        "locked. Reset your password to unlock it, or ask your admin."
    )


def is_locked(user) -> bool:
    return SecondFactorFailures.objects.filter(user=user, locked_at__isnull=False).exists()


def register_failure(request, user) -> bool:
    """Count a wrong code; lock the second step at the limit. Tell whether it is locked."""
    with transaction.atomic():
        # The row lock makes concurrent wrong codes count one after the other.
        row, _created = SecondFactorFailures.objects.select_for_update().get_or_create(user=user)
        if row.locked_at:
            return True
        row.failures += 1
        if row.failures < settings.SECOND_FACTOR_MAX_FAILURES:
            row.save(update_fields=["failures"])
            return False
        row.locked_at = timezone.now()
        row.save(update_fields=["failures", "locked_at"])
        record_security_event(
            request, user, SecurityEvent.Kind.SIGN_IN_LOCKED, failures=row.failures
        )
    return True


def register_success(user) -> None:
    """Start the count again after a right code (a locked account stays locked)."""
    SecondFactorFailures.objects.filter(user=user, locked_at=None).delete()


def unlock(user) -> None:
    SecondFactorFailures.objects.filter(user=user).delete()


def locked_users(users: QuerySet) -> QuerySet:
    """The ids of the users among these whose second step is locked."""
    return SecondFactorFailures.objects.filter(user__in=users, locked_at__isnull=False).values(
        "user"
    )
