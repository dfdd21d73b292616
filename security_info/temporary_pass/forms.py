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
        max_value=temporary_pass.MAX_MINUTES,
        help_text=_(
            "Leave blank for the default lifetime of the user's organization, which also sets "
            "the shortest and the longest allowed."
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
        help_text=_(
            "The policy's choice: single use where it requires that, else any number of "
            "sign-ins. Multi-use passes are only for organizations that allow them."
        ),
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
        low, high = policy.temporary_pass_min_minutes, policy.temporary_pass_max_minutes
        if "minutes" not in self.errors and not low <= minutes <= high:
            self.add_error(
                "minutes",
                _(
                    "This user's organization allows %(min)s to %(max)s minutes "
                    "(%(default)s if left blank)."
                )
                % {"min": low, "max": high, "default": policy.temporary_pass_minutes},
            )
        cleaned["minutes"] = minutes
        use = cleaned.get("use")
        if use == self.MULTI_USE and policy.temporary_pass_one_time:
            self.add_error("use", _("This user's organization allows only single-use passes."))
        cleaned["one_time"] = (
            policy.temporary_pass_one_time if use == self.POLICY else use == self.SINGLE_USE
        )
        return cleaned
