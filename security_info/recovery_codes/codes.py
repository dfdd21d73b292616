"""Recovery codes: ten single-use codes to print or save, for when no method is at hand.

Only keyed hashes are stored. A code is normalised before hashing (spaces and dashes dropped,
lower case) so "ABCDE-FGHJK", "abcde fghjk" and "abcdefghjk" are the same code.
"""

import secrets

from django.db import transaction
from django.utils import timezone

from portal import crypto, ratelimits
from security_info.models import RecoveryCode
from signins.models import SecurityEvent
from signins.services import record_security_event

# Lower-case letters and digits without the look-alikes 0/o, 1/l/i.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LENGTH = 10
COUNT = 10
LOW = 2  # at or below this many codes left, people are told to create new ones
PURPOSE = "recovery_code"


def normalise(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-").lower()


def formatted(code: str) -> str:
    """Split a code in two halves for reading aloud and typing: "abcde-fghjk"."""
    return f"{code[: LENGTH // 2]}-{code[LENGTH // 2 :]}"


def looks_like_a_code(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


@transaction.atomic
def generate(request, user) -> list[str]:
    """Replace the user's codes with ten new ones; return them, formatted, for showing once."""
    codes: set[str] = set()
    while len(codes) < COUNT:
        codes.add("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=crypto.digest(code, PURPOSE)) for code in codes
    )
    record_security_event(request, user, SecurityEvent.Kind.RECOVERY_CODES_CREATED)
    return sorted(formatted(code) for code in codes)


def use(request, user, code: str) -> bool:
    """Spend one of the user's unused codes; tell whether the code was one.

    Raise RateLimited, without checking, after too many guesses.
    """
    ratelimits.consume(request, "check_recovery_code", key=f"user:{user.pk}")
    # A code made before a key rotation keeps its old key's digest: look under every key.
    digests = crypto.digests(normalise(code), PURPOSE)
    # Conditional update: of two requests racing with the same code, only one spends it.
    spent = RecoveryCode.objects.filter(user=user, digest__in=digests, used_at=None).update(
        used_at=timezone.now()
    )
    return spent == 1


def remaining(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at=None).count()
