from django import forms
from django.utils.translation import gettext_lazy as _


class AppPasswordForm(forms.Form):
    """Name the app password after the app or device that will use it."""

    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        help_text=_(
            "So you can tell your app passwords apart, e.g. “Laptop mail app”. Use one per app or device."
        ),
        error_messages={"required": _("Give the app password a name.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the app password a name."))
        return name
