from django import forms
from django.utils.translation import gettext_lazy as _

from security_info.forms import CodeForm


class AuthenticatorForm(CodeForm):
    """Name the app and prove it works with its current code."""

    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        initial=_("Authenticator app"),
        help_text=_("So you can tell your apps apart, e.g. “Phone” or “Tablet”."),
    )
    field_order = ["name", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.pop("autofocus", None)
        self.fields["code"].label = _("Code from the app")

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the app a name."))
        return name
