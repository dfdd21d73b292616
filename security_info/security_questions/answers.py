"""Security answers: how they are normalized, stored as password hashes, and checked.

People type answers months apart and on other keyboards, so "  Paris " and "paris" must be
the same answer: NFKC folds compatibility forms (full-width letters, ligatures), casefold
ignores case in every script, and whitespace runs count as one space. Only a password hash of
that normal form is kept; admins cannot read or change answers.
"""

import unicodedata

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext_lazy

from portal import ratelimits
from portal.privilege import is_privileged
from security_info.models import SecurityAnswer, SecurityQuestion
from signins.models import SecurityEvent
from signins.services import record_security_event, side_key

LABEL = gettext_lazy("Security questions")
MIN_LENGTH = 3
MAX_LENGTH = 40


def normalize_answer(text: str) -> str:
    """Return the form an answer is compared in: NFKC, case-folded, single-spaced, stripped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # casefold can produce text that is no longer NFKC (e.g. "ǰ"); normalize again to settle.
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def hash_answer(text: str) -> str:
    """Return what an answer is stored as: a password hash of its normal form.

    Everything that stores an answer (the page, the demo data, tests) goes through here, and
    answer_matches() checks against it, so the two can never disagree.
    """
    return make_password(normalize_answer(text))


def answer_matches(text: str, encoded: str) -> bool:
    """Tell whether a typed answer is the one stored as `encoded` (by hash_answer)."""
    return check_password(normalize_answer(text), encoded)


@transaction.atomic
def save_answers(request, user, pairs: list[tuple[SecurityQuestion, str]]) -> None:
    """Replace the user's security answers with these (question, answer) pairs."""
    SecurityAnswer.objects.filter(user=user).delete()
    SecurityAnswer.objects.bulk_create(
        SecurityAnswer(user=user, question=question, answer_hash=hash_answer(answer))
        for question, answer in pairs
    )
    record_security_event(request, user, SecurityEvent.Kind.METHOD_ADDED, method=LABEL)


@transaction.atomic
def delete_answers(request, user) -> None:
    SecurityAnswer.objects.filter(user=user).delete()
    record_security_event(request, user, SecurityEvent.Kind.METHOD_DELETED, method=LABEL)


def check_answers(request, user, answers: dict[int, str]) -> bool:
    """Tell whether every given answer is the user's answer to that question.

    Every answer is hashed whether or not its question is one the user answered, so the time
    taken does not tell which questions are theirs. Staff accounts cannot use security
    questions, so their answers never pass. Raise RateLimited past the
    "check_security_answers" rate limit (per IP, and per user from this side of the account).
    """
    ratelimits.consume(
        request, "check_security_answers", key=side_key(f"user:{user.pk}", user, request)
    )
    stored: dict[int | None, str] = dict(
        SecurityAnswer.objects.filter(user=user).values_list("question_id", "answer_hash")
    )
    correct = bool(answers) and not is_privileged(user)
    for question_id, answer in answers.items():
        encoded = stored.get(_as_id(question_id))
        if encoded is None:
            hash_answer(answer)  # the same work as a real check
            correct = False
        elif not answer_matches(answer, encoded):
            correct = False
    return correct


def _as_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
