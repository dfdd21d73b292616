from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.policies import authentication_policy
from security_info.kinds import MethodKindBase, Row, SignInOption, prompt_html
from security_info.models import Method
from security_info.passkeys import webauthn
from security_info.passkeys.webauthn import allows_model

if TYPE_CHECKING:
    from organizations.models import AuthenticationPolicy
    from portal.models import User


class Passkey(MethodKindBase):
    """A passkey or security key (WebAuthn): proved by a signature, never by a code.

    Its ceremonies run in the browser against the JSON views in security_info.passkeys.views."""

    key = Method.Kind.PASSKEY
    icon = "key"
    label = gettext_lazy("Passkey or security key")
    noun = gettext_lazy("passkey")
    description = gettext_lazy("Sign in with your face, fingerprint, PIN or a security key.")
    policy_flag = "allow_passkeys"
    add_url_name = "security_info:add_passkey"
    change_url_name = "security_info:rename_passkey"
    change_label = gettext_lazy("Rename")
    max_count = 10
    strength = 1
    ceremony_template = "security_info/passkeys/verify_button.html"

    def is_blocked(self, method: Method, policy: "AuthenticationPolicy") -> bool:
        """Tell whether the policy's key restrictions no longer let this passkey in."""
        return not allows_model(policy, method.aaguid)

    def sign_in_options(self, method: Method, policy: "AuthenticationPolicy"):
        """A blocked passkey is no way to sign in: it is neither offered nor the default."""
        return [] if self.is_blocked(method, policy) else super().sign_in_options(method, policy)

    def rows(self, user: "User", methods: list[Method]) -> list[Row]:
        policy = authentication_policy(user)
        rows = []
        for method in methods:
            if method.kind != self.key:
                continue
            row = self.row(method)
            if self.is_blocked(method, policy):
                row.detail = _("%(name)s · Blocked by your organization") % {"name": method.name}
                row.notice = _(
                    "Your organization no longer allows the model of your passkey “%(name)s”, "
                    "so it can't be used to sign in. Add a passkey or security key your "
                    "organization allows, or another method, then delete it."
                ) % {"name": method.name}
            rows.append(row)
        return rows

    def works_at(self, request) -> bool:
        return webauthn.works_at(request)

    def option_label(self, option: SignInOption, *, reveal: bool) -> str:
        return _("Passkey or security key (%(name)s)") % {"name": option.method.name}

    def prompt(self, option: SignInOption, *, sent: bool, reveal: bool):
        return prompt_html(_("Use your passkey or security key."))
