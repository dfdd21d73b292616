"""The catalogue of sign-in methods: what each is for, its limits, and how strong it is.

Everything the pages and the sign-in stage need to know about a kind of method lives here,
so adding a kind is one entry in METHOD_TYPES plus its add/verify views.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from security_info.models import Method

Kind, Channel = Method.Kind, Method.Channel


@dataclass(frozen=True)
class MethodType:
    key: str
    label: str | Promise
    description: str | Promise
    policy_flag: str  # the AuthenticationPolicy field that allows it
    add_url_name: str
    max_count: int
    # Lower is stronger; system-preferred sign-in and the default after a deletion follow it.
    strength: int
    second_factor: bool  # usable to complete a multi-factor sign-in
    password_reset: bool  # usable to prove who you are at a self-service password reset
    staff_allowed: bool = True
    change_url_name: str = ""  # where to change a registered one (by its pk), if it can be


METHOD_TYPES = {
    t.key: t
    for t in [
        MethodType(
            key=Kind.PASSKEY,
            label=_("Passkey or security key"),
            description=_("Sign in with your face, fingerprint, PIN or a security key."),
            policy_flag="allow_passkeys",
            add_url_name="security_info:add_passkey",
            max_count=10,
            strength=1,
            second_factor=True,
            password_reset=False,
            change_url_name="security_info:rename_passkey",
        ),
        MethodType(
            key=Kind.AUTHENTICATOR,
            label=_("Authenticator app"),
            description=_("Enter a code from an app such as Microsoft or Google Authenticator."),
            policy_flag="allow_authenticator",
            add_url_name="security_info:add_authenticator",
            max_count=5,
            strength=3,
            second_factor=True,
            password_reset=True,
        ),
        MethodType(
            key=Kind.MOBILE_PHONE,
            label=_("Phone"),
            description=_("Get a code by text message or phone call."),
            policy_flag="allow_sms",  # or allow_voice; see is_allowed()
            add_url_name="security_info:add_mobile_phone",
            max_count=1,
            strength=5,
            second_factor=True,
            password_reset=True,
            change_url_name="security_info:change_mobile_phone",
        ),
        MethodType(
            key=Kind.ALTERNATE_PHONE,
            label=_("Alternate phone"),
            description=_("Get a phone call on a second number."),
            policy_flag="allow_alternate_phone",
            add_url_name="security_info:add_alternate_phone",
            max_count=1,
            strength=6,
            second_factor=True,
            password_reset=False,
            change_url_name="security_info:change_alternate_phone",
        ),
        MethodType(
            key=Kind.OFFICE_PHONE,
            label=_("Office phone"),
            description=_("Get a phone call at your desk, extension included."),
            policy_flag="allow_office_phone",
            add_url_name="security_info:add_office_phone",
            max_count=1,
            strength=6,
            second_factor=True,
            password_reset=True,
            change_url_name="security_info:change_office_phone",
        ),
        MethodType(
            key=Kind.EMAIL,
            label=_("Email"),
            description=_("Get a code at a personal email address, to reset your password."),
            policy_flag="allow_email",
            add_url_name="security_info:add_email",
            max_count=1,
            strength=7,
            second_factor=False,  # unless the policy allows email sign-in; see is_second_factor()
            password_reset=True,
            change_url_name="security_info:change_email",
        ),
        MethodType(
            key="security_questions",
            label=_("Security questions"),
            description=_("Answer questions only you know, to reset your password."),
            policy_flag="allow_security_questions",
            add_url_name="security_info:add_security_questions",
            max_count=1,
            strength=9,
            second_factor=False,
            password_reset=True,
            staff_allowed=False,
        ),
        MethodType(
            key="app_password",
            label=_("App password"),
            description=_("A password for an older app that cannot ask for a second factor."),
            policy_flag="allow_app_passwords",
            add_url_name="security_info:add_app_password",
            max_count=40,
            strength=10,
            second_factor=False,
            password_reset=False,
        ),
        MethodType(
            key="recovery_codes",
            label=_("Recovery codes"),
            description=_("Single-use codes to print or save, for when nothing else is at hand."),
            policy_flag="allow_recovery_codes",
            add_url_name="security_info:recovery_codes",
            max_count=1,
            strength=8,
            second_factor=False,  # a fallback at sign-in, never the default
            password_reset=False,
        ),
    ]
}

PHONE_KINDS = (Kind.MOBILE_PHONE, Kind.ALTERNATE_PHONE, Kind.OFFICE_PHONE)


def is_allowed(policy, key: str) -> bool:
    """Tell whether the organization's policy lets people register this kind."""
    if key in PHONE_KINDS and settings.PHONE_BACKEND == "none":
        return False
    if key == Kind.MOBILE_PHONE:
        return policy.allow_sms or policy.allow_voice
    if key in (Kind.ALTERNATE_PHONE, Kind.OFFICE_PHONE):
        return policy.allow_voice and getattr(policy, METHOD_TYPES[key].policy_flag)
    return getattr(policy, METHOD_TYPES[key].policy_flag)


def is_second_factor(method: Method, policy) -> bool:
    if method.kind == Kind.EMAIL:
        return policy.allow_email_sign_in
    return METHOD_TYPES[method.kind].second_factor


@dataclass(frozen=True)
class SignInOption:
    """One way to complete a sign-in: a method, and for phones whether by text or by call."""

    method: Method
    channel: str

    @property
    def key(self) -> str:
        return f"{self.method.pk}:{self.channel}"

    @property
    def second_factor(self) -> str:
        """How the sign-in log names it, e.g. "mobile_phone:sms"."""
        return f"{self.method.kind}:{self.channel}" if self.channel else self.method.kind

    @property
    def strength(self) -> int:
        # A call is harder to intercept than a text (no SIM-swap-and-read, no SMS forwarding).
        bonus = -0.5 if self.channel == Channel.VOICE else 0
        return METHOD_TYPES[self.method.kind].strength + bonus

    @property
    def label(self) -> str:
        return self._label(reveal=True)

    @property
    def destination(self) -> str:
        return self.method.email or self.method.detail

    @property
    def masked_destination(self) -> str:
        """Where the code goes, hidden for someone who has only proved a password."""
        if self.method.email:
            return mask_email(self.method.email)
        return mask_phone(self.method.phone)

    @property
    def masked_label(self) -> str:
        """The label for someone who has only proved a password: numbers and addresses hidden."""
        return self._label(reveal=False)

    def _label(self, reveal: bool) -> str:
        method = self.method
        if method.kind == Kind.AUTHENTICATOR:
            return _("Authenticator app – code (%(name)s)") % {"name": method.name}
        if method.kind == Kind.PASSKEY:
            return _("Passkey or security key (%(name)s)") % {"name": method.name}
        if method.kind == Kind.EMAIL:
            email = method.email if reveal else mask_email(method.email)
            return _("Email a code to %(email)s") % {"email": email}
        phone = method.detail if reveal else mask_phone(method.phone)
        if self.channel == Channel.SMS:
            return _("Text a code to %(phone)s") % {"phone": phone}
        return _("Call %(phone)s") % {"phone": phone}


def mask_phone(phone: str) -> str:
    """Show only the last two digits: "+44 ••••••••12"."""
    return f"{phone[:3]} {'•' * max(len(phone) - 5, 0)}{phone[-2:]}" if len(phone) > 5 else "•••"


def mask_email(email: str) -> str:
    """Show the first letter and the domain: "a•••@example.com"."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def sign_in_options(methods, policy) -> list[SignInOption]:
    """Return every way the user can complete a multi-factor sign-in, strongest first."""
    options = []
    for method in methods:
        if not is_second_factor(method, policy):
            continue
        if method.kind == Kind.MOBILE_PHONE:
            if policy.allow_sms:
                options.append(SignInOption(method, Channel.SMS))
            if policy.allow_voice:
                options.append(SignInOption(method, Channel.VOICE))
        elif method.kind in PHONE_KINDS:
            if policy.allow_voice:
                options.append(SignInOption(method, Channel.VOICE))
        else:
            options.append(SignInOption(method, ""))
    return sorted(options, key=lambda option: (option.strength, option.method.created_at))


def default_option(options: list[SignInOption], policy) -> SignInOption | None:
    """Return the option a sign-in challenges first: the user's default unless the policy
    prefers the strongest."""
    if not options:
        return None
    if not policy.system_preferred:
        for option in options:
            if option.method.is_default and option.channel == option.method.channel:
                return option
    return options[0]
