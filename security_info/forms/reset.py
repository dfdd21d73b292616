from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from security_info.forms.common import OptionForm


class ResetStartForm(forms.Form):
    """Whose password: the address the person signs in with."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The work or school address you sign in with."),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""


class ResetOptionForm(OptionForm):
    """Pick how to prove who you are at this gate, from the generic list on offer."""

    def __init__(self, options, *args, **kwargs):
        super().__init__(options, *args, **kwargs)
        self.fields["option"].label = _("Choose how we should verify it's you:")


class ResetAnswersForm(forms.Form):
    """Answer the questions asked; each field is labelled with its question."""

    def __init__(self, questions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.questions = list(questions)
        for n, question in enumerate(self.questions, start=1):
            self.fields[f"answer_{n}"] = forms.CharField(
                label=question.text,
                max_length=200,
                error_messages={"required": _("Answer the question.")},
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
                ),
            )

    @property
    def answers(self) -> dict[int, str]:
        """{question id: answer} of a valid form."""
        return {
            question.pk: self.cleaned_data[f"answer_{n}"]
            for n, question in enumerate(self.questions, start=1)
        }


class NewPasswordForm(SetPasswordForm):
    """Django's form: the two must match and every password validator applies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.fields["new_password1"].help_text = ""  # the page lists the rules in words
        self.fields["new_password1"].widget.attrs["autofocus"] = True
        self.fields["new_password2"].label = _("Confirm new password")
        self.fields["new_password2"].help_text = ""
