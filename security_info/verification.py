"""Proving possession of a registered method: at sign-in, in sudo mode, at a reset.

One path for every code-based option: `start()` sends a code where the method needs one
(phones, email), `verify()` checks what the person typed. Passkeys have their own ceremony in
`security_info.passkeys`; recovery codes and passes are checked in `security_info.fallbacks`.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from security_info import challenges, limits, totp
from security_info.challenges import ChallengeError, CheckLimited, InvalidCode, TooManyAttempts
from security_info.methods import SignInOption
from security_info.models import Method


def needs_send(option: SignInOption) -> bool:
    return option.method.kind not in (Method.Kind.AUTHENTICATOR, Method.Kind.PASSKEY)


def start(request, option: SignInOption, purpose: str) -> None:
    """Send the code for a phone or email option; raise SendRefused if it cannot go out."""
    if needs_send(option):
        challenges.send(request, challenges.for_method(purpose, option.method, option.channel))


def verify(request, option: SignInOption, purpose: str, code: str) -> None:
    """Accept the code for this option or raise ChallengeError; note the method as used."""
    method = option.method
    if not limits.allow_code_check(request, method.user_id):
        raise CheckLimited(_("Too many codes were tried. Wait 15 minutes, then try again."))
    if method.kind == Method.Kind.AUTHENTICATOR:
        _check_totp(request, method, purpose, code)
    elif needs_send(option):
        challenge = challenges.check(request, purpose, code)
        if challenge.method_id != method.pk:
            raise InvalidCode(_("That code was sent for another method."))
    else:
        raise ChallengeError(_("This method does not use codes."))
    Method.objects.filter(pk=method.pk).update(last_used_at=timezone.now())


def _attempts_key(purpose: str) -> str:
    return f"security_info.totp_attempts.{purpose}"


def _check_totp(request, method: Method, purpose: str, code: str) -> None:
    """Accept an app code; like sent codes, five wrong ones in a row end the attempt."""
    key = _attempts_key(purpose)
    attempts = request.session.get(key, 0)
    if attempts >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Start again."))
    if totp.accept_code(method, code):
        request.session.pop(key, None)
        return
    request.session[key] = attempts + 1
    if attempts + 1 >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Start again."))
    raise InvalidCode(_("That code is not right, or it was already used. Wait for the next one."))
