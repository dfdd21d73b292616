from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security_info.kinds import MethodKindBase, SignInOption, prompt_html
from security_info.models import Method


class Passkey(MethodKindBase):
    """A passkey or security key (WebAuthn): proved by a signature, never by a code.

    Its ceremonies run in the browser against the JSON views in security_info.passkeys.views."""

    key = Method.Kind.PASSKEY
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

    def option_label(self, option: SignInOption, *, reveal: bool) -> str:
        return _("Passkey or security key (%(name)s)") % {"name": option.method.name}

    def prompt(self, option: SignInOption, *, sent: bool, reveal: bool):
        return prompt_html(_("Use your passkey or security key."))
