from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.widgets import ChoiceList


class CodeForm(forms.Form):
    """A one-time code: six digits, spaces allowed (people copy "123 456")."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the 6-digit code."))
        return code


class OptionForm(forms.Form):
    """Pick one of the offered sign-in options (the value is "<method id>:<channel>")."""

    option = forms.ChoiceField(
        label=_("Which method do you want to use to sign in?"),
        widget=ChoiceList,
        error_messages={
            "required": _("Choose one of the listed methods."),
            "invalid_choice": _("Choose one of the listed methods."),
        },
    )

    def __init__(self, options, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.options = {option.key: option for option in options}
        choices = [(option.key, option.label) for option in options]
        cast(forms.ChoiceField, self.fields["option"]).choices = choices

    @property
    def chosen(self):
        return self.options[self.cleaned_data["option"]]
