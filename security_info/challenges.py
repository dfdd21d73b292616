"""One-time codes sent by text, call or email, and checked against the session.

A challenge lives in the session under its purpose ("sign_in", "sudo", "register", "reset"),
so a code sent to prove a sign-in cannot finish a registration. Only a keyed hash of the code
is kept; it expires, and a challenge dies after MAX_ATTEMPTS wrong codes.
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import crypto, delivery, ratelimits
from portal.models import Delivery
from security_info import calls
from security_info.models import PhoneCall
from signins.services import side_key, sign_in_reference

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
    delivery_id: str = ""  # the portal.delivery record of the send, for its state
    # A call that asks to press # instead of reading the code (security_info.calls), and the
    # PhoneCall it placed.
    approve: bool = False
    call_id: str = ""

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
    purpose and destination (unless that send failed), or when the send failed already (the
    inline backend, a refused number); raise RateLimited when too many went out (per user,
    per destination, per IP). In every such case the previous challenge stays as it was.
    With a queue, the send goes on after this returns: `send_state()` follows it.
    """
    previous = current(request, challenge.purpose)
    if (
        previous
        and previous.destination == challenge.destination
        and not previous.can_resend
        and send_state(request, previous) != FAILED  # a send that failed can be asked again
        and not calls.ended(previous.call_id)  # nor a call that ended without approval
    ):
        raise SendRefused(
            ngettext(
                "A code was just sent. You can ask for another in %(seconds)s second.",
                "A code was just sent. You can ask for another in %(seconds)s seconds.",
                previous.resend_in,
            )
            % {"seconds": previous.resend_in}
        )
    if challenge.channel in {SMS, VOICE} and (
        until := calls.blocked_until(challenge.user_id, challenge.destination)
    ):
        raise SendRefused(calls.blocked_message(until))
    # Per user and per IP, and per destination against toll fraud (SMS pumping); split by the
    # side of the account asking, so sends from elsewhere cannot use up the user's own. What
    # they count for the person is given back if the send fails (see portal.delivery).
    user_id = challenge.user_id
    charges = ratelimits.consume(
        request, "send_code", key=side_key(f"user:{user_id}", user_id, request)
    )
    destination = challenge.destination.lower()
    charges += ratelimits.consume(
        request, "send_code_to", key=side_key(destination, user_id, request)
    )
    code = crypto.random_code()
    try:
        sent = _deliver(request, challenge, code, charges)
    except delivery.DeliveryFailed as e:
        raise SendRefused(refusal(e.delivery)) from None
    challenge.digest = crypto.digest(code, f"challenge:{challenge.purpose}")
    challenge.sent_at = time.time()
    challenge.attempts = 0
    challenge.delivery_id = str(sent.pk)
    request.session[_session_key(challenge.purpose)] = asdict(challenge)
    return challenge


# How the send of a challenge's code is going, for the pages that wait on it.
PENDING, SENT, FAILED = "pending", "sent", "failed"


def send_state(request, challenge: Challenge | None) -> str:
    """PENDING (queued, being sent, or waiting to be tried again), SENT (the provider took
    it) or FAILED; "" without a challenge."""
    if challenge is None:
        return ""
    return _state(challenge, _delivery_of(request, challenge))


def send_status(request, challenge: Challenge | None, to: str = "") -> dict | None:
    """What a page says about the code's send while it is not known to have gone out: its
    state, the words (naming `to`, the destination as the page shows it), and where a script
    can follow it. None once sent (the page's prompt says so) or without a challenge."""
    if challenge is None:
        return None
    found = _delivery_of(request, challenge)
    state = _state(challenge, found)
    if state == SENT:
        return None
    if state == FAILED:
        message = refusal(found)
    elif found is not None and found.attempts and found.reason:
        message = format_html(
            _(
                "We could not reach the service that sends codes yet. We are still trying to "
                "send yours to {to}; this can take a few minutes. You can also choose another way."
            ),
            to=format_html("<strong>{}</strong>", to or challenge.destination),
        )
    else:
        message = format_html(
            _("Placing a call to {to}…") if challenge.approve else _("Sending a code to {to}…"),
            to=format_html("<strong>{}</strong>", to or challenge.destination),
        )
    return {
        "state": state,
        "message": message,
        "url": reverse("portal:delivery_status", args=[challenge.delivery_id]),
    }


def _delivery_of(request, challenge: Challenge) -> Delivery | None:
    return delivery.for_session(request, challenge.delivery_id) if challenge.delivery_id else None


def _state(challenge: Challenge, found: Delivery | None) -> str:
    if not challenge.delivery_id:  # kept in a session from before deliveries were recorded
        return SENT
    if found is None or found.status == Delivery.Status.FAILED:
        return FAILED
    return SENT if found.status == Delivery.Status.SENT else PENDING


def refusal(failed: Delivery | None) -> str:
    """Why a code did not go out, and what to do, in the person's words."""
    reason = failed.reason if failed is not None else ""
    if reason == Delivery.Reason.REJECTED:
        return _(
            "The code could not be delivered there. Check the number or address, or use "
            "another method."
        )
    if reason == Delivery.Reason.NOT_CONFIGURED:
        return _("Codes cannot be sent this way right now. Use another method.")
    return _(
        "We could not send the code right now. Try again in a few minutes, or use another method."
    )


def call_status(request, challenge: Challenge | None, to: str) -> dict | None:
    """For a call that asks to press #, once it went out: its state, what the page says
    (naming `to`), and where a script follows it. None for anything else."""
    if challenge is None or not challenge.call_id or send_state(request, challenge) != SENT:
        return None
    call = calls.state_for_session(challenge.call_id)
    state = str(call.state if call else PhoneCall.State.FAILED)
    if state == PhoneCall.State.CALLING and call and call.expires_at <= timezone.now():
        state = PhoneCall.State.ENDED
    strong = format_html("<strong>{}</strong>", to)
    waiting = state == PhoneCall.State.CALLING
    message: str
    if waiting:
        message = format_html(_CALLING[challenge.purpose](), to=strong)
    elif state in {PhoneCall.State.APPROVED, PhoneCall.State.USED}:
        message = format_html(_("Approved on {to}."), to=strong)
    elif state == PhoneCall.State.REPORTED:
        until = calls.blocked_until(challenge.user_id, challenge.destination)
        message = _("The call was reported as unexpected, so nothing was approved.")
        if until:
            message = f"{message} {calls.blocked_message(until)}"
    else:
        message = format_html(_ENDED.get(state, _ENDED[PhoneCall.State.ENDED])(), to=strong)
    return {
        "state": state,
        "waiting": waiting,
        "approved": state == PhoneCall.State.APPROVED,
        "ended": not waiting and state != PhoneCall.State.APPROVED,
        "message": message,
        "url": reverse("security_info:call_state", args=[challenge.call_id]),
    }


_CALLING: dict[str, Callable[[], str]] = {
    "sign_in": lambda: _("We're calling {to}. Answer and press # to finish signing in."),
    "sudo": lambda: _("We're calling {to}. Answer and press # to approve."),
    "register": lambda: _("We're calling {to}. Answer and press # to confirm the number."),
    "reset": lambda: _("We're calling {to}. Answer and press # to approve."),
}
_ENDED: dict[str, Callable[[], str]] = {
    PhoneCall.State.NO_ANSWER: lambda: _("The call to {to} wasn't answered."),
    PhoneCall.State.BUSY: lambda: _("The line at {to} was busy."),
    PhoneCall.State.FAILED: lambda: _("The call to {to} could not be made."),
    PhoneCall.State.ENDED: lambda: _("The call to {to} ended before # was pressed."),
}


def take_approval(request, purpose: str) -> Challenge | None:
    """End the challenge and return it if its call was approved (once); else None."""
    challenge = current(request, purpose)
    if challenge is None or not challenge.call_id or not calls.take_approval(challenge.call_id):
        return None
    clear(request, purpose)
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


PURPOSES = {
    "sign_in": "sign-in code",
    "sudo": "verification code",
    "register": "registration code",
    "reset": "password reset code",
}


def _deliver(request, challenge: Challenge, code: str, charges: list[str]) -> Delivery:
    about = {
        "purpose": PURPOSES.get(challenge.purpose, challenge.purpose),
        "user": challenge.user_id,
        "request": request,
        "charges": charges,
        "reference": _reference(request, challenge),
    }
    if challenge.channel == EMAIL:
        return delivery.send_mail(
            challenge.destination,
            _("Your verification code"),
            _(
                "Your verification code is %(code)s. It expires in 10 minutes.\n\n"
                "If you did not ask for it, you can ignore this message."
            )
            % {"code": code},
            retry_for=delivery.CODE_RETRY_SECONDS,
            **about,
        )
    if challenge.channel == SMS:
        return delivery.send_text(
            challenge.destination, _("Your verification code is %(code)s") % {"code": code}, **about
        )
    if challenge.approve:
        call, sent = calls.place(
            request,
            user_id=challenge.user_id,
            purpose=challenge.purpose,
            phone=challenge.destination,
            extension=challenge.extension,
            about=about,
        )
        challenge.call_id = str(call.pk)
        return sent
    spoken = " ".join(code)
    return delivery.place_call(
        challenge.destination,
        _("Hello. Your verification code is %(code)s.") % {"code": spoken},
        extension=challenge.extension,
        **about,
    )


def _reference(request, challenge: Challenge) -> str:
    """The sign-in attempt a sign-in code belongs to, so a send that fails settles it."""
    return sign_in_reference(request) if challenge.purpose == "sign_in" else ""
