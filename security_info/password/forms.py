from typing import cast

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from organizations.policies import password_policy
from portal import ratelimits
from security_info.forms import OptionForm
from security_info.password import passwords

# Room for any password the portal ever set (policies allow at most 256 characters), and a
# bound on what anyone can make the server hash.
CURRENT_PASSWORD_MAX_LENGTH = 1024


def requirements_help(user) -> str:
    """The policy's rules as the new password's help text, which its input is described by."""
    return format_html(
        "{}<ul>{}</ul>",
        _("Your new password needs:"),
        format_html_join(
            "", "<li>{}</li>", ((capfirst(rule),) for rule in passwords.requirements(user))
        ),
    )


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
        policy = password_policy(self.user)
        new, confirm = self.fields["new_password1"], self.fields["new_password2"]
        new.label = _("New password")
        confirm.label = _("Confirm new password")
        confirm.help_text = ""
        new.help_text = requirements_help(self.user)
        # Checked on the field, before any validator hashes the password against the history.
        for field in (cast(forms.CharField, new), cast(forms.CharField, confirm)):
            field.max_length = policy.max_length
            field.validators.append(MaxLengthValidator(policy.max_length))
            field.error_messages["max_length"] = _("Use at most %(limit_value)d characters.")

    @sensitive_variables("current")
    def clean_current_password(self) -> str:
        current = self.cleaned_data["current_password"]
        # Past the limit, RateLimited leaves the form unchecked for the "Too many attempts" page.
        ratelimits.consume(self.request, "check_current_password", key=f"user:{self.user.pk}")
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
        self.fields["new_password1"].help_text = requirements_help(self.user)
        self.fields["new_password1"].widget.attrs["autofocus"] = True
        self.fields["new_password2"].label = _("Confirm new password")
        self.fields["new_password2"].help_text = ""
