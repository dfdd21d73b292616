from django import forms
from django.utils.translation import gettext_lazy as _

from security_info.recovery_codes import codes as recovery_codes


class RecoveryCodeForm(forms.Form):
    """One of the saved recovery codes; spaces, dashes and case don't matter."""

    code = forms.CharField(
        label=_("Recovery code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""

    def clean_code(self) -> str:
        code = recovery_codes.normalise(self.cleaned_data["code"])
        if not recovery_codes.looks_like_a_code(code):
            raise forms.ValidationError(
                _("Enter one of your recovery codes: 10 letters and digits, like abcde-23456.")
            )
        return code
