"""Security answers: how they are normalized, stored as password hashes, and checked.

People type answers months apart and on other keyboards, so "  Paris " and "paris" must be
the same answer: NFKC folds compatibility forms (full-width letters, ligatures), casefold
ignores case in every script, and whitespace runs count as one space. Only a password hash of
that normal form is kept; admins cannot read or change answers.
"""

import unicodedata

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext as _

from security_info import limits
from security_info.models import SecurityAnswer, SecurityQuestion
from signins.models import SecurityEvent
from signins.services import record_security_event

MIN_LENGTH = 3
MAX_LENGTH = 40


class TooManyGuesses(Exception):
    """The answers were not checked: too many tries lately. The message is for the person."""


def normalize_answer(text: str) -> str:
    """Return the form an answer is compared in: NFKC, case-folded, single-spaced, stripped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # casefold can produce text that is no longer NFKC (e.g. "ǰ"); normalize again to settle.
    return " ".join(unicodedata.normalize("NFKC", folded).split())


@transaction.atomic
def save_answers(request, user, pairs: list[tuple[SecurityQuestion, str]]) -> None:
    """Replace the user's security answers with these (question, answer) pairs."""
    SecurityAnswer.objects.filter(user=user).delete()
    SecurityAnswer.objects.bulk_create(
        SecurityAnswer(
            user=user, question=question, answer_hash=make_password(normalize_answer(answer))
        )
        for question, answer in pairs
    )
    record_security_event(
        request, user, SecurityEvent.Kind.METHOD_ADDED, str(_("Security questions"))
    )


@transaction.atomic
def delete_answers(request, user) -> None:
    SecurityAnswer.objects.filter(user=user).delete()
    record_security_event(
        request, user, SecurityEvent.Kind.METHOD_DELETED, str(_("Security questions"))
    )


def check_answers(request, user, answers: dict[int, str]) -> bool:
    """Tell whether every given answer is the user's answer to that question.

    Every answer is hashed whether or not its question is one the user answered, so the time
    taken does not tell which questions are theirs. Staff accounts cannot use security
    questions, so their answers never pass. Raise TooManyGuesses past the
    "check_security_answers" rate limit (per user, and per IP).
    """
    if not limits.allow_secret_check(request, "check_security_answers", key=f"user:{user.pk}"):
        raise TooManyGuesses(_("Too many tries. Wait a while, then try again."))
    stored = dict(
        SecurityAnswer.objects.filter(user=user).values_list("question_id", "answer_hash")
    )
    correct = bool(answers) and not user.is_staff
    for question_id, answer in answers.items():
        encoded = stored.get(_as_id(question_id))
        if encoded is None:
            make_password(normalize_answer(answer))  # the same work as a real check
            correct = False
        elif not check_password(normalize_answer(answer), encoded):
            correct = False
    return correct


def _as_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
