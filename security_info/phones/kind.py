from typing import ClassVar

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.policies import authentication_policy
from security_info import calls, challenges
from security_info.challenges import Challenge
from security_info.kinds import (
    ResetOption,
    Row,
    SentCodeKind,
    SignInOption,
    mask_phone,
    phones_available,
    prompt_html,
)
from security_info.models import Method
from security_info.phones.numbers import format_phone

Channel = Method.Channel


class Phone(SentCodeKind):
    """A phone number that gets a code by text message or by call."""

    cleared_by_reregistration = True
    has_extension = False
    # Shown on the add and change pages.
    add_title: ClassVar[Promise]
    change_title: ClassVar[Promise]
    intro: ClassVar[Promise]

    def is_allowed(self, policy) -> bool:
        return phones_available() and policy.allow_voice and super().is_allowed(policy)

    def allowed_channels(self, policy) -> list[str]:
        """How a registered one may be challenged under the policy."""
        return [Channel.VOICE] if policy.allow_voice else []

    def registration_channels(self, policy) -> list[str]:
        """How a code may prove a number being registered (a call, whatever the policy)."""
        return [Channel.VOICE]

    def offers_at_reset(self, option: ResetOption, policy) -> bool:
        return phones_available() and super().offers_at_reset(option, policy)

    # The last two digits: spread evenly over 00-99 in real numbers, so a made-up pair looks
    # like any real one. (More digits would tell more to whoever knows the number already.)
    gives_reset_hint = True

    def reset_hint(self, method: Method | None, number: int) -> str:
        return method.phone[-2:] if method is not None else f"{number % 100:02d}"

    def option_icon(self, channel: str) -> str:
        return "message" if channel == Channel.SMS else "phone"

    def option_hint(self, channel: str) -> str:
        # A mobile and an office number may end alike: say which phone it is.
        return str(self.label)

    def option_strength(self, channel: str) -> float:
        # A call is harder to intercept than a text (no SIM-swap-and-read, no SMS forwarding).
        return self.strength - 0.5 if channel == Channel.VOICE else self.strength

    def challenge_channel(self, channel: str) -> str:
        return challenges.SMS if channel == Channel.SMS else challenges.VOICE

    def rows(self, user, methods: list[Method]) -> list[Row]:
        mine = [method for method in methods if method.kind == self.key]
        blocked = calls.blocked_phones(user) if mine else {}
        return [self.row(method, blocked.get(method.phone)) for method in mine]

    def row(self, method: Method, until=None) -> Row:
        row = super().row(method)
        if until:
            row.warning = _("Blocked for verification until %(until)s, after a reported call") % {
                "until": date_format(timezone.localtime(until), "DATETIME_FORMAT")
            }
        return row

    def challenge_for(self, purpose: str, method: Method, channel: str) -> Challenge:
        """A call asks to press # when the policy says so; a reset's call reads a code."""
        challenge = super().challenge_for(purpose, method, channel)
        challenge.approve = (
            challenge.channel == challenges.VOICE
            and purpose != "reset"
            and calls.approves(authentication_policy(method.user))
        )
        return challenge

    def destination(self, method: Method) -> str:
        return method.phone

    def detail(self, method: Method) -> str:
        return format_phone(method.phone, method.extension)

    def masked_destination(self, method: Method) -> str:
        return mask_phone(method.phone)

    def option_label(self, option: SignInOption, *, reveal: bool) -> str:
        phone = self.detail(option.method) if reveal else mask_phone(option.method.phone)
        if option.channel == Channel.SMS:
            return _("Text a code to %(phone)s") % {"phone": phone}
        return _("Call %(phone)s") % {"phone": phone}

    def prompt(self, option: SignInOption, *, sent: bool, reveal: bool):
        to = option.shown_destination if reveal else option.masked_destination
        if option.channel == Channel.SMS:
            message = (
                _("We texted a code to %(to)s. Enter it below.")
                if sent
                else _("We will text a code to %(to)s.")
            )
        elif calls.approves(authentication_policy(option.method.user)):
            message = (
                _("We're calling %(to)s. Answer and press # to approve.")
                if sent
                else _("We will call %(to)s. Answer and press # to approve.")
            )
        else:
            message = (
                _("We are calling %(to)s. Enter the code you hear below.")
                if sent
                else _("We will call %(to)s and read you a code.")
            )
        return prompt_html(message, to)

    def send_label(self, option: SignInOption) -> str:
        return _("Text me a code") if option.channel == Channel.SMS else _("Call me")


class MobilePhone(Phone):
    key = Method.Kind.MOBILE_PHONE
    label = gettext_lazy("Phone")
    noun = gettext_lazy("phone")
    description = gettext_lazy("Get a code by text message or phone call.")
    policy_flag = "allow_sms"  # or allow_voice; see is_allowed()
    add_url_name = "security_info:add_mobile_phone"
    change_url_name = "security_info:change_mobile_phone"
    strength = 5
    channels = (Channel.SMS, Channel.VOICE)
    add_title = gettext_lazy("Add a phone")
    change_title = gettext_lazy("Change your phone")
    intro = gettext_lazy(
        "You can prove who you are by answering a call on your phone or by getting a code in a text message. Message and data rates may apply."
    )

    def is_allowed(self, policy) -> bool:
        return phones_available() and (policy.allow_sms or policy.allow_voice)

    def allowed_channels(self, policy) -> list[str]:
        return [
            channel
            for channel, allowed in [
                (Channel.SMS, policy.allow_sms),
                (Channel.VOICE, policy.allow_voice),
            ]
            if allowed
        ]

    def registration_channels(self, policy) -> list[str]:
        return self.allowed_channels(policy)

    def reset_options(self) -> tuple[ResetOption, ...]:
        return (
            ResetOption(
                "mobile_text",
                gettext_lazy("Text my mobile phone"),
                gettext_lazy(
                    "We are texting a code to the mobile phone ending in %(hint)s. It can take a few minutes to arrive."
                ),
                self,
                Channel.SMS,
                "reset_by_mobile_phone",
                position=20,
                description=gettext_lazy("The phone ending in %(hint)s"),
            ),
            ResetOption(
                "mobile_call",
                gettext_lazy("Call my mobile phone"),
                gettext_lazy(
                    "We are calling the mobile phone ending in %(hint)s to read you a code. It can take a minute."
                ),
                self,
                Channel.VOICE,
                "reset_by_mobile_phone",
                position=30,
                description=gettext_lazy("The phone ending in %(hint)s"),
            ),
        )


class AlternatePhone(Phone):
    key = Method.Kind.ALTERNATE_PHONE
    label = gettext_lazy("Alternate phone")
    noun = gettext_lazy("alternate phone")
    description = gettext_lazy("Get a phone call on a second number.")
    policy_flag = "allow_alternate_phone"
    add_url_name = "security_info:add_alternate_phone"
    change_url_name = "security_info:change_alternate_phone"
    strength = 6
    # A second number backs up a first method; it is never the first (as in Entra ID).
    offered_at_setup = False
    channels = (Channel.VOICE,)
    add_title = gettext_lazy("Add an alternate phone")
    change_title = gettext_lazy("Change your alternate phone")
    intro = gettext_lazy(
        "A second number we can call with a code when your phone is not at hand. It can complete a multi-factor sign-in, not a password reset."
    )


class OfficePhone(Phone):
    key = Method.Kind.OFFICE_PHONE
    label = gettext_lazy("Office phone")
    noun = gettext_lazy("office phone")
    description = gettext_lazy("Get a phone call at your desk, extension included.")
    policy_flag = "allow_office_phone"
    add_url_name = "security_info:add_office_phone"
    change_url_name = "security_info:change_office_phone"
    strength = 6
    # Added from Security info only, as in Entra ID: a desk phone is never the first method.
    offered_at_setup = False
    channels = (Channel.VOICE,)
    has_extension = True
    icon = "building"

    def option_icon(self, channel: str) -> str:
        return self.icon

    add_title = gettext_lazy("Add an office phone")
    change_title = gettext_lazy("Change your office phone")
    intro = gettext_lazy(
        "We call this number, dial the extension if there is one, and read you a code."
    )

    def reset_options(self) -> tuple[ResetOption, ...]:
        return (
            ResetOption(
                "office_call",
                gettext_lazy("Call my office phone"),
                gettext_lazy(
                    "We are calling the office phone ending in %(hint)s to read you a code. It can take a minute."
                ),
                self,
                Channel.VOICE,
                "reset_by_office_phone",
                position=40,
                description=gettext_lazy("The desk phone ending in %(hint)s"),
            ),
        )
