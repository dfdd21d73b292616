from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security_info import challenges
from security_info.kinds import ResetOption, SentCodeKind, SignInOption, mask_email, prompt_html
from security_info.models import Method


class Email(SentCodeKind):
    """A personal address (not the work one) that gets a code by mail.

    It resets a password; it completes a multi-factor sign-in only where the policy allows
    email sign-in, and it is never the default."""

    key = Method.Kind.EMAIL
    icon = "mail"
    label = gettext_lazy("Email")
    noun = gettext_lazy("email")
    description = gettext_lazy("Get a code at a personal email address, to reset your password.")
    policy_flag = "allow_email"
    add_url_name = "security_info:add_email"
    change_url_name = "security_info:change_email"
    strength = 7
    completes_sign_in = False  # unless the policy allows email sign-in: is_second_factor()
    can_be_default = False

    def is_second_factor(self, policy) -> bool:
        return policy.allow_email_sign_in

    def reset_options(self) -> tuple[ResetOption, ...]:
        return (
            ResetOption(
                "email",
                gettext_lazy("Email my alternate email"),
                gettext_lazy(
                    "We are emailing a code to the personal address in your security info. It can take a few minutes to arrive."
                ),
                self,
                "",
                "reset_by_email",
                position=10,
                # No part of the address: a made-up one could not pass for it (see reset.py).
                description=gettext_lazy("The personal address in your security info"),
            ),
        )

    def challenge_channel(self, channel: str) -> str:
        return challenges.EMAIL

    def destination(self, method: Method) -> str:
        return method.email

    def masked_destination(self, method: Method) -> str:
        return mask_email(method.email)

    def option_label(self, option: SignInOption, *, reveal: bool) -> str:
        email = option.method.email if reveal else mask_email(option.method.email)
        return _("Email a code to %(email)s") % {"email": email}

    def prompt(self, option: SignInOption, *, sent: bool, reveal: bool):
        to = option.destination if reveal else option.masked_destination
        message = (
            _("We emailed a code to %(to)s. Enter it below.")
            if sent
            else _("We will email a code to %(to)s.")
        )
        return prompt_html(message, to)

    def send_label(self, option: SignInOption) -> str:
        return _("Email me a code")

    def mail_addresses(self, user) -> list[str]:
        return list(Method.objects.filter(user=user, kind=self.key).values_list("email", flat=True))
