from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.utils.translation import gettext_lazy as _

from organizations.policies import home_organization, is_organization_address


def is_work_address(user, email: str) -> bool:
    """Tell whether the address is the user's own login or at their organization's domain.

    Other people's logins elsewhere are not looked up: refusing them would tell whoever types
    an address that some account uses it.
    """
    if email.casefold() == user.email.casefold():
        return True
    return is_organization_address(home_organization(user), email)


class EmailMethodForm(forms.Form):
    """A personal address to get password reset codes at (not the work address)."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Use a personal address that doesn't need your work password to open."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def __init__(self, user, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.user = user
        self.current = current

    def clean_email(self) -> str:
        email = BaseUserManager.normalize_email(self.cleaned_data["email"])
        if is_work_address(self.user, email):
            raise forms.ValidationError(_("This email address can't be your work or school email."))
        if self.current and email.casefold() == self.current.casefold():
            raise forms.ValidationError(
                _("This is already the address you use. Enter a different one.")
            )
        return email
