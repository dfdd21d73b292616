import random

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import crypto, ratelimits
from security_info import cache
from security_info.kinds import Kind, ResetOption, Row, action
from security_info.models import SecurityAnswer, SecurityQuestion
from security_info.security_questions import answers
from signins.services import side_key


class SecurityQuestions(Kind):
    """Questions only the person knows the answers to; they can only reset a password."""

    key = "security_questions"
    label = answers.LABEL
    noun = gettext_lazy("security questions")
    description = gettext_lazy("Answer questions only you know, to reset your password.")
    policy_flag = "allow_security_questions"
    add_url_name = "security_info:add_security_questions"
    strength = 9
    staff_allowed = False

    def rows(self, user, methods) -> list[Row]:
        count = cache.of_user(
            user, "answers", lambda: SecurityAnswer.objects.filter(user=user).count()
        )
        if not count:
            return []
        detail = ngettext("%(count)s question answered", "%(count)s questions answered", count) % {
            "count": count
        }
        delete = action(_("Delete"), reverse("security_info:delete_security_questions"), self.noun)
        return [Row(kind=self.label, detail=detail, actions=[delete])]

    def reset_options(self) -> tuple[ResetOption, ...]:
        return (
            ResetOption(
                self.key,
                gettext_lazy("Answer my security questions"),
                gettext_lazy("Answer these questions as you did when you registered them."),
                self,
                "",
                "reset_by_security_questions",
                position=60,
                proof="answers",
                description=gettext_lazy("The questions you chose in your security info"),
            ),
        )

    def reset_questions(self, user_id: int | None, count: int, seed: str) -> list[int]:
        """Choose which questions a reset asks: the same ones every time for the same `seed`.

        The account's own answered questions when it has enough of them, else questions from
        the active pool; either way drawn with a generator seeded by a keyed hash of `seed`
        (the typed address), so starting over shows the same questions and cannot tell an
        account from none. Staff accounts never answer: they get pool questions.
        """
        number = int(crypto.digest(seed, "reset-questions"), 16)
        # Deterministic on purpose (seeded by a secret-keyed hash), not for cryptography.
        chooser = random.Random(number)  # noqa: S311
        answered = sorted(
            SecurityAnswer.objects.filter(
                user_id=user_id,  # type: ignore[misc]  # no account (None) finds nothing
                user__is_active=True,
                user__is_staff=False,
            ).values_list("question_id", flat=True)
        )
        if len(answered) >= count:
            return chooser.sample(answered, count)
        pool = sorted(SecurityQuestion.objects.filter(is_active=True).values_list("pk", flat=True))
        return chooser.sample(pool, min(count, len(pool)))

    def questions(self, ids: list[int]) -> list[SecurityQuestion]:
        """The questions with these ids, in that order (retired ones too)."""
        found = SecurityQuestion.objects.in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]

    def check_reset_answers(self, request, user, email: str, given: dict[int, str]) -> bool:
        """Tell whether every answer is the account's; an address without an account (`user`
        None) is limited and hashed like one with an account, and never passes."""
        if user is not None:
            return answers.check_answers(request, user, given)
        ratelimits.consume(
            request, "check_security_answers", key=side_key(f"email:{email}", None, request)
        )
        for answer in given.values():
            answers.hash_answer(answer)
        return False
