from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security_info import challenges
from security_info.kinds import (
    ResetOption,
    SentCodeKind,
    SignInOption,
    mask_phone,
    phones_available,
    prompt_html,
)
from security_info.models import Method

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

    def option_strength(self, channel: str) -> float:
        # A call is harder to intercept than a text (no SIM-swap-and-read, no SMS forwarding).
        return self.strength - 0.5 if channel == Channel.VOICE else self.strength

    def challenge_channel(self, channel: str) -> str:
        return challenges.SMS if channel == Channel.SMS else challenges.VOICE

    def destination(self, method: Method) -> str:
        return method.phone

    def masked_destination(self, method: Method) -> str:
        return mask_phone(method.phone)

    def option_label(self, option: SignInOption, *, reveal: bool) -> str:
        phone = option.method.detail if reveal else mask_phone(option.method.phone)
        if option.channel == Channel.SMS:
            return _("Text a code to %(phone)s") % {"phone": phone}
        return _("Call %(phone)s") % {"phone": phone}

    def prompt(self, option: SignInOption, *, sent: bool, reveal: bool):
        to = option.destination if reveal else option.masked_destination
        if option.channel == Channel.SMS:
            message = (
                _("We texted a code to %(to)s. Enter it below.")
                if sent
                else _("We will text a code to %(to)s.")
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
                    "We are sending a code by text message to the mobile phone registered for this account, if there is one. It can take a few minutes to arrive."
                ),
                self,
                Channel.SMS,
                "reset_by_mobile_phone",
                position=20,
            ),
            ResetOption(
                "mobile_call",
                gettext_lazy("Call my mobile phone"),
                gettext_lazy(
                    "We are calling the mobile phone registered for this account, if there is one, to read you a code. It can take a minute."
                ),
                self,
                Channel.VOICE,
                "reset_by_mobile_phone",
                position=30,
            ),
        )


class AlternatePhone(Phone):
    key = Method.Kind.ALTERNATE_PHONE
    label = gettext_lazy("Alternate phone")
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
    description = gettext_lazy("Get a phone call at your desk, extension included.")
    policy_flag = "allow_office_phone"
    add_url_name = "security_info:add_office_phone"
    change_url_name = "security_info:change_office_phone"
    strength = 6
    # Added from Security info only, as in Entra ID: a desk phone is never the first method.
    offered_at_setup = False
    channels = (Channel.VOICE,)
    has_extension = True
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
                    "We are calling the office phone registered for this account, if there is one, to read you a code. It can take a minute."
                ),
                self,
                Channel.VOICE,
                "reset_by_office_phone",
                position=40,
            ),
        )
