from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.policies import authentication_policy
from portal import privilege
from security_info.models import TemporaryAccessPass
from security_info.temporary_pass import passes as temporary_pass


class TemporaryPassSignInForm(forms.Form):
    """Sign in with the work address and the pass an admin gave you."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Temporary Access Pass"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""


class IssueTemporaryPassForm(forms.ModelForm):
    """The admin's "add" form: whom the pass is for, how long it lasts, and whether it is
    single use. Blank choices follow the user's organization policy."""

    POLICY, SINGLE_USE, MULTI_USE = "", "single", "multi"
    actor = None  # the admin issuing the pass; the admin's get_form() sets it

    minutes = forms.IntegerField(
        label=_("Lifetime (minutes)"),
        required=False,
        min_value=temporary_pass.MIN_MINUTES,
        help_text=_(
            "Leave blank for the organization's lifetime, which is also the longest allowed."
        ),
    )
    use = forms.ChoiceField(
        label=_("Use"),
        required=False,
        choices=[
            (POLICY, _("As the organization's policy says")),
            (SINGLE_USE, _("Single use")),
            (MULTI_USE, _("Any number of sign-ins until it expires")),
        ],
    )

    class Meta:
        model = TemporaryAccessPass
        fields = ["user"]
        help_texts = {"user": _("A pass they already have is replaced.")}

    def validate_unique(self) -> None:
        """Issuing a pass to someone who has one replaces it: no "already exists" error."""

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        user = cleaned.get("user")
        if user is None:
            return cleaned
        if not privilege.may_manage_authentication(self.actor, user):
            self.add_error(
                "user",
                _(
                    "Only a privileged authentication administrator can issue a pass for an "
                    "admin account."
                ),
            )
            return cleaned
        policy = authentication_policy(user)
        minutes = cleaned.get("minutes") or policy.temporary_pass_minutes
        if minutes > policy.temporary_pass_minutes:
            self.add_error(
                "minutes",
                _("This user's organization allows at most %(max)s minutes.")
                % {"max": policy.temporary_pass_minutes},
            )
        cleaned["minutes"] = minutes
        use = cleaned.get("use")
        cleaned["one_time"] = (
            policy.temporary_pass_one_time if use == self.POLICY else use == self.SINGLE_USE
        )
        return cleaned
