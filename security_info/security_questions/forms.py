from django import forms
from django.utils.translation import gettext_lazy as _

from security_info.security_questions.answers import MAX_LENGTH, MIN_LENGTH, normalize_answer


class SecurityQuestionsForm(forms.Form):
    """Pick `count` different questions from the pool and give each a different answer."""

    def __init__(self, questions, count: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.count = count
        self.questions = {str(question.pk): question for question in questions}
        choices = [
            ("", _("Choose a question")),
            *((pk, q.text) for pk, q in self.questions.items()),
        ]
        for n in range(1, count + 1):
            self.fields[f"question_{n}"] = forms.ChoiceField(
                label=_("Question %(number)s") % {"number": n},
                choices=choices,
                error_messages={"required": _("Choose a question.")},
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=_("Answer"),
                error_messages={"required": _("Answer the question.")},
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
                ),
            )

    def rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        """Each question with its answer field, for the template to group them."""
        return [(n, self[f"question_{n}"], self[f"answer_{n}"]) for n in range(1, self.count + 1)]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        chosen, given = set(), set()
        for n in range(1, self.count + 1):
            question = cleaned.get(f"question_{n}")
            if question:
                if question in chosen:
                    self.add_error(
                        f"question_{n}", _("You chose this question already. Pick a different one.")
                    )
                chosen.add(question)
            answer = cleaned.get(f"answer_{n}")
            if answer is None:
                continue
            normalized = normalize_answer(answer)
            if len(normalized) < MIN_LENGTH:
                self.add_error(
                    f"answer_{n}",
                    _("Answers must be at least %(min)s characters.") % {"min": MIN_LENGTH},
                )
            elif len(normalized) > MAX_LENGTH:
                self.add_error(
                    f"answer_{n}",
                    _("Answers can be at most %(max)s characters.") % {"max": MAX_LENGTH},
                )
            elif normalized in given:
                self.add_error(f"answer_{n}", _("Give a different answer to each question."))
            given.add(normalized)
        return cleaned

    @property
    def pairs(self):
        """The (question, answer) pairs of a valid form."""
        return [
            (self.questions[self.cleaned_data[f"question_{n}"]], self.cleaned_data[f"answer_{n}"])
            for n in range(1, self.count + 1)
        ]
