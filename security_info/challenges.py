"""One-time codes sent by text, call or email, and checked against the session.

A challenge lives in the session under its purpose ("sign_in", "sudo", "register", "reset"),
so a code sent to prove a sign-in cannot finish a registration. Only a keyed hash of the code
is kept; it expires, and a challenge dies after MAX_ATTEMPTS wrong codes.
"""

import time
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from portal import crypto, delivery, ratelimits
from signins.services import side_key

CODE_LIFETIME = 10 * 60
RESEND_AFTER = 30  # seconds before "send again" works
MAX_ATTEMPTS = 5
# How a code goes out.
SMS, VOICE, EMAIL = "sms", "voice", "email"


class ChallengeError(Exception):
    """Why a code was not accepted; the message is for the person."""

    reason = "invalid_code"


class InvalidCode(ChallengeError):
    reason = "invalid_code"


class ExpiredCode(ChallengeError):
    reason = "expired_code"


class TooManyAttempts(ChallengeError):
    reason = "too_many_codes"


class SendRefused(ChallengeError):
    """The code was not sent: too soon after the last one, or the provider failed."""

    reason = "send_failed"


@dataclass
class Challenge:
    purpose: str
    user_id: int | None
    # What the code was sent to: a registered method, or a number/address being registered.
    method_id: int | None
    kind: str
    channel: str  # SMS, VOICE or EMAIL
    destination: str
    extension: str = ""
    digest: str = ""
    sent_at: float = 0.0
    attempts: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def expired(self) -> bool:
        return time.time() > self.sent_at + CODE_LIFETIME

    @property
    def can_resend(self) -> bool:
        return time.time() >= self.sent_at + RESEND_AFTER

    @property
    def resend_in(self) -> int:
        return max(0, int(self.sent_at + RESEND_AFTER - time.time()))


def _session_key(purpose: str) -> str:
    return f"security_info.challenge.{purpose}"


def current(request, purpose: str) -> Challenge | None:
    data = request.session.get(_session_key(purpose))
    return Challenge(**data) if data else None


def clear(request, purpose: str) -> None:
    request.session.pop(_session_key(purpose), None)


def send(request, challenge: Challenge) -> Challenge:
    """Send a fresh code for the challenge and keep it in the session.

    Refuse (SendRefused) when a code went out less than RESEND_AFTER seconds ago for the same
    purpose and destination, or when the provider fails; raise RateLimited when too many went
    out (per user, per destination, per IP). In every such case the previous challenge stays
    as it was.
    """
    previous = current(request, challenge.purpose)
    if previous and previous.destination == challenge.destination and not previous.can_resend:
        raise SendRefused(
            _("A code was just sent. You can ask for another in %(seconds)s seconds.")
            % {"seconds": previous.resend_in}
        )
    # Per user and per IP, and per destination against toll fraud (SMS pumping); split by the
    # side of the account asking, so sends from elsewhere cannot use up the user's own.
    user_id = challenge.user_id
    ratelimits.consume(request, "send_code", key=side_key(f"user:{user_id}", user_id, request))
    destination = challenge.destination.lower()
    ratelimits.consume(request, "send_code_to", key=side_key(destination, user_id, request))
    code = crypto.random_code()
    try:
        _deliver(challenge, code)
    except delivery.DeliveryFailed:
        raise SendRefused(
            _(
                "We could not send the code right now. Try again in a few minutes, or use another method."
            )
        ) from None
    challenge.digest = crypto.digest(code, f"challenge:{challenge.purpose}")
    challenge.sent_at = time.time()
    challenge.attempts = 0
    request.session[_session_key(challenge.purpose)] = asdict(challenge)
    return challenge


def check(request, purpose: str, code: str) -> Challenge:
    """Return the challenge if the code is right (and end it); raise ChallengeError if not."""
    challenge = current(request, purpose)
    if challenge is None:
        raise ExpiredCode(_("This code has expired. Ask for a new one."))
    if challenge.attempts >= MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Ask for a new one."))
    if challenge.expired:
        clear(request, purpose)
        raise ExpiredCode(_("This code has expired. Ask for a new one."))
    code = "".join(code.split())
    if crypto.matches(code, f"challenge:{purpose}", challenge.digest):
        clear(request, purpose)
        return challenge
    challenge.attempts += 1
    request.session[_session_key(purpose)] = asdict(challenge)
    if challenge.attempts >= MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Ask for a new one."))
    raise InvalidCode(_("That code is not right. Check it and try again."))


def _deliver(challenge: Challenge, code: str) -> None:
    if challenge.channel == EMAIL:
        delivery.send_mail(
            challenge.destination,
            _("Your verification code"),
            _(
                "Your verification code is %(code)s. It expires in 10 minutes.\n\n"
                "If you did not ask for it, you can ignore this message."
            )
            % {"code": code},
        )
    elif challenge.channel == SMS:
        delivery.send_text(
            challenge.destination, _("Your verification code is %(code)s") % {"code": code}
        )
    else:
        spoken = " ".join(code)
        delivery.place_call(
            challenge.destination,
            _("Hello. Your verification code is %(code)s.") % {"code": spoken},
            extension=challenge.extension,
        )
