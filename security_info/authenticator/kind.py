from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security_info import challenges
from security_info.authenticator import totp
from security_info.challenges import InvalidCode, TooManyAttempts
from security_info.kinds import MethodKindBase, ResetOption, SignInOption, prompt_html
from security_info.models import Method


class Authenticator(MethodKindBase):
    """An authenticator app (TOTP): the code it shows proves the phone it runs on."""

    key = Method.Kind.AUTHENTICATOR
    icon = "smartphone"
    label = gettext_lazy("Authenticator app")
    noun = gettext_lazy("authenticator app")
    description = gettext_lazy(
        "Enter a code from an app such as Microsoft or Google Authenticator."
    )
    policy_flag = "allow_authenticator"
    add_url_name = "security_info:add_authenticator"
    max_count = 5
    strength = 3
    cleared_by_reregistration = True
    delete_notes = (gettext_lazy("Also remove the account from the app itself."),)

    def reset_options(self) -> tuple[ResetOption, ...]:
        return (
            ResetOption(
                "authenticator",
                gettext_lazy("Enter a code from my authenticator app"),
                gettext_lazy(
                    "Open the authenticator app you registered and enter the code it shows."
                ),
                self,
                "",
                "reset_by_authenticator",
                position=50,
                description=gettext_lazy("The code your app shows"),
            ),
        )

    def option_label(self, option: SignInOption, *, reveal: bool) -> str:
        return _("Authenticator app – code (%(name)s)") % {"name": option.method.name}

    def prompt(self, option: SignInOption, *, sent: bool, reveal: bool):
        return prompt_html(
            _("Enter the code shown in your authenticator app (%(name)s).")
            % {"name": option.method.name}
        )

    def start(self, request: HttpRequest, option: SignInOption, purpose: str) -> None:
        """Nothing to send: a new attempt starts with no wrong codes counted."""
        request.session.pop(_attempts_key(purpose), None)

    def verify(self, request: HttpRequest, option: SignInOption, purpose: str, code: str) -> None:
        """Accept an app code; like sent codes, five wrong ones in a row end the attempt.

        The fifth ends it and the next starts afresh (a sign-in goes back to the password; a
        re-verification may try again): the rate limits and the account's cap on wrong codes
        (security_info.sign_in_locks) bound the guessing, not this count.
        """
        key = _attempts_key(purpose)
        attempts = request.session.get(key, 0)
        if totp.accept_code(option.method, code):
            request.session.pop(key, None)
            return
        if attempts + 1 >= challenges.MAX_ATTEMPTS:
            request.session.pop(key, None)
            raise TooManyAttempts(_("Too many wrong codes. Start again."))
        request.session[key] = attempts + 1
        raise InvalidCode(
            _("That code is not right, or it was already used. Wait for the next one.")
        )

    def accept_any(self, user_id: int | None, code: str) -> bool | None:
        """Accept a current, unused code of any of the active account's apps; None when it has
        none (after the same work as a check, so the time taken tells nothing)."""
        # No account (None) finds nothing, after the same query.
        methods = Method.objects.filter(user_id=user_id, user__is_active=True)  # type: ignore[misc]
        apps = list(methods.filter(kind=self.key))
        if not apps:
            totp.matching_step(totp.new_secret(), code)
            return None
        return any(totp.accept_code(app, code) for app in apps)


def _attempts_key(purpose: str) -> str:
    return f"security_info.totp_attempts.{purpose}"
