from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from organizations.models import get_password_policy
from security_info import limits, passwords

# Room for any password the portal ever set (policies allow at most 256 characters), and a
# bound on what anyone can make the server hash.
CURRENT_PASSWORD_MAX_LENGTH = 1024


class RateLimited(Exception):
    """Too many current passwords were checked for this account lately: none is checked now."""


class ChangePasswordForm(SetPasswordForm):
    """The current password (left out when the caller says so), then the new one twice.

    Django's SetPasswordForm runs every validator in AUTH_PASSWORD_VALIDATORS, so each rule
    of the organization's policy that fails shows its own message under the new password.
    """

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=CURRENT_PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["current_password", "new_password1", "new_password2"]

    def __init__(self, request, *args, ask_current: bool, **kwargs):
        self.request = request
        super().__init__(request.user, *args, **kwargs)
        self.label_suffix = ""
        if not ask_current:
            del self.fields["current_password"]
            self.fields["new_password1"].widget.attrs["autofocus"] = True
        policy = get_password_policy(self.user)
        new, confirm = self.fields["new_password1"], self.fields["new_password2"]
        new.label = _("New password")
        confirm.label = _("Confirm new password")
        confirm.help_text = ""
        new.help_text = format_html(
            "{}<ul>{}</ul>",
            _("Your new password needs:"),
            format_html_join(
                "", "<li>{}</li>", ((capfirst(rule),) for rule in passwords.requirements(self.user))
            ),
        )
        # Checked on the field, before any validator hashes the password against the history.
        for field in (new, confirm):
            field.max_length = policy.max_length
            field.validators.append(MaxLengthValidator(policy.max_length))
            field.error_messages["max_length"] = _("Use at most %(limit_value)d characters.")

    @sensitive_variables("current")
    def clean_current_password(self) -> str:
        current = self.cleaned_data["current_password"]
        if not limits.allow_secret_check(
            self.request, "check_current_password", key=f"user:{self.user.pk}"
        ):
            raise RateLimited
        if not self.user.check_password(current):
            raise forms.ValidationError(
                _("Your current password is not correct."), code="password_incorrect"
            )
        return current

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        # Without the current password, the reuse check would say whether a guess is it.
        if "current_password" not in self.errors:
            self.validate_password_for_user(self.user, "new_password1")
        return self.cleaned_data
