from django import forms
from django.utils.translation import gettext_lazy as _


class PasskeyNameForm(forms.Form):
    """The name a passkey is listed under, so its owner can tell their keys apart."""

    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        help_text=_("For example “Work laptop” or “Blue security key”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the passkey a name."))
        return name
