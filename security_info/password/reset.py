"""Self-service password reset: the flow's state, and the rules that keep it honest.

The person types an address, proves who they are at one or two verification gates (the
policy's `reset_gates`), each with a different registered method, then chooses a new
password. Everything before that lives in the session, so abandoning halfway changes nothing.

Security questions are knowledge, not possession (NIST SP 800-63B does not count them), so
they are never offered at the first gate: they can only add to a method already proved. An
admin account (portal/privilege.py) always needs two gates, as Entra ID's fixed policy for
administrators does, never passes one with questions, and cannot pass both with the same phone
number or address: a second gate whose code would go where the first one's went sends nothing.
That difference shows only after the first gate is passed, to someone who already proved they
hold one of the account's methods.

Nothing here may tell an outsider whether an address has an account, or which methods it
has. So every address gets the same pages and the same answers: the choices on offer come
from the organization's policy (the organization that manages the account, else the one whose
domain the address is in), never from the account; and where the account has no such method,
or there is no account, the checks that follow fail with the same messages, the same attempt
counting, the same rate limits and about the same work as the real ones.

So that people can still tell their own phone among the choices, a phone choice says how its
number ends ("the phone ending in 23"). Where the account has no such phone, or there is no
account, the two digits are made up from a keyed hash of the address (`hints()`): the same on
every visit, as a real number's are, and spread as evenly over 00-99 as real numbers' last
digits, so no page tells a made-up hint from a real one. Two digits are the least that helps
and the most worth showing: they tell nothing to someone who doesn't know the number; to
someone who does, a match makes it likely that the account has it (a made-up pair matches
once in a hundred), the price of letting people recognise their phone. What a hint cannot
hide, to someone who watches one address for long: that it changes when the person changes
their number, that two phones sharing one number show the same digits, and that made-up
digits change when FIELD_ENCRYPTION_KEY is rotated. Email choices get no hint: the letters and
domain of real personal addresses follow the person's name and the big mail providers, which
no made-up address can imitate, so any part shown would tell real from fake.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING, NoReturn

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.policies import (
    home_organization,
    organization_for_address,
    organization_with_policy,
)
from portal import crypto, delivery, ratelimits
from portal.privilege import is_privileged
from security_info import challenges
from security_info.challenges import ExpiredCode, InvalidCode, SendRefused, TooManyAttempts
from security_info.kinds import ResetOption
from security_info.methods import KINDS
from security_info.models import Method
from security_info.password import passwords
from security_info.verification import mark_used
from signins.models import SecurityEvent
from signins.services import side_key, site_url

if TYPE_CHECKING:
    from organizations.models import AuthenticationPolicy, Organization


logger = logging.getLogger(__name__)

SESSION_KEY = "password.reset"
DONE_SESSION_KEY = "password.reset_done"
PURPOSE = "reset"  # the challenges purpose: a reset code proves nothing anywhere else
LIFETIME = 15 * 60  # seconds from the address to the new password

# Every way any kind offers to pass a gate, in the order they are listed.
OPTIONS: tuple[ResetOption, ...] = tuple(
    sorted(
        (option for kind in KINDS.values() for option in kind.reset_options()),
        key=lambda option: option.position,
    )
)
OPTIONS_BY_KEY = {option.key: option for option in OPTIONS}


@dataclass
class ResetState:
    """Where one reset attempt stands; kept in the session, so it ends with it."""

    email: str  # as typed, normalised: rate limits and the question choice key on it
    user_id: int | None  # the active account with that address, if any; never shown
    organization_id: int | None
    started_at: float
    privileged: bool = False  # an admin account: two gates, whatever the policy says
    gates_passed: int = 0
    kinds_used: list[str] = field(default_factory=list)  # each gate needs another method
    # Keyed hashes of where the codes of passed gates went: no gate twice with one phone.
    destinations_used: list[str] = field(default_factory=list)
    option: str = ""  # the option chosen at the current gate
    # When the last code of this gate went out (really, or not for want of a method), by any
    # method: the resend cooldown holds for every address alike, even where two methods
    # share a number.
    sent_at: float = 0.0
    # Wrong codes for the current send where none went out (a real one counts in its
    # challenge), and wrong authenticator codes in this reset.
    attempts: int = 0
    app_attempts: int = 0
    question_ids: list[int] = field(default_factory=list)
    hint: str = ""  # the chosen option's hint ("23"), for its proof page

    @property
    def expired(self) -> bool:
        return time.time() > self.started_at + LIFETIME

    @property
    def gate(self) -> int:
        return self.gates_passed + 1

    @cached_property
    def _organization_and_policy(self) -> "tuple[Organization | None, AuthenticationPolicy]":
        return organization_with_policy(self.organization_id)

    @property
    def organization(self) -> "Organization | None":
        return self._organization_and_policy[0]

    @property
    def policy(self) -> "AuthenticationPolicy":
        return self._organization_and_policy[1]

    @property
    def helpdesk_url(self) -> str:
        return self.organization.helpdesk_url if self.organization else ""

    @property
    def gates_required(self) -> int:
        return max(self.policy.reset_gates, 2 if self.privileged else 1)

    @property
    def verified(self) -> bool:
        return self.user_id is not None and self.gates_passed >= self.gates_required


def normalise_email(email: str) -> str:
    return "".join(email.split()).lower()


def begin(request, email: str) -> ResetState:
    """Start a reset for whatever address was typed; raise RateLimited past "reset_start".

    Known or not, the address costs the same work: one account lookup, one organization
    lookup, no hashing.
    """
    email = normalise_email(email)
    ratelimits.consume(request, "reset_start", key=email)
    user = get_user_model().objects.by_email(email).filter(is_active=True).first()
    organization = organization_for_address(email)
    state = ResetState(
        email=email,
        user_id=user.pk if user else None,
        organization_id=organization.pk if organization else None,
        started_at=time.time(),
        privileged=bool(user and is_privileged(user)),
    )
    challenges.clear(request, PURPOSE)
    # A new session key: whoever planted this browser's session cookie cannot follow along.
    request.session.cycle_key()
    save(request, state)
    return state


def current(request) -> ResetState | None:
    """Return the reset in progress in this session (expired or not), or None."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return ResetState(**data)
    except TypeError:  # a session written by another version of this module
        return None


def save(request, state: ResetState) -> None:
    request.session[SESSION_KEY] = asdict(state)


def clear(request) -> None:
    request.session.pop(SESSION_KEY, None)
    challenges.clear(request, PURPOSE)


def available_options(state: ResetState) -> list[ResetOption]:
    """The choices at the current gate: what the policy allows, minus methods already used,
    and never security questions at the first.

    The same list for every address of the organization, whatever the account has.
    """
    policy = state.policy
    if not policy.reset_enabled:
        return []
    return [
        option
        for option in OPTIONS
        if option.kind.offers_at_reset(option, policy)
        and option.kind.key not in state.kinds_used
        and (option.proof != "answers" or state.gates_passed > 0)
    ]


def hints(state: ResetState, options: list[ResetOption]) -> dict[str, str]:
    """{option key: hint} for the options whose kind gives one (see the module docstring).

    Every address costs the same: one query for the account's methods of those kinds (none
    without an account), and a keyed hash of the address for each kind.
    """
    kinds = {option.kind.key: option.kind for option in options if option.kind.gives_reset_hint}
    if not kinds:
        return {}
    methods: dict[str, Method] = {}
    # No account (None) finds nothing, after the same query.
    for method in Method.objects.filter(
        user_id=state.user_id,  # type: ignore[misc]
        user__is_active=True,
        kind__in=list(kinds),
    ):
        methods.setdefault(method.kind, method)  # the first, which a code would go to
    by_kind = {
        key: kind.reset_hint(
            methods.get(key), int(crypto.digest(state.email, f"reset-hint:{key}")[:8], 16)
        )
        for key, kind in kinds.items()
    }
    return {
        option.key: by_kind[option.kind.key] for option in options if option.kind.key in by_kind
    }


def described(option: ResetOption, hint: str) -> tuple[str, str]:
    """The option's label and the line under it, with its hint."""
    return str(option.label), str(option.description) % {"hint": hint} if option.description else ""


def prompt(option: ResetOption, hint: str) -> str:
    """What the proof page says about the chosen option."""
    return str(option.prompt) % {"hint": hint}


def choose(request, state: ResetState, option: ResetOption) -> None:
    """Take the option for the current gate: send its code, or pick its questions.

    Raise SendRefused (nothing changes) when a code was just sent to that kind of method,
    RateLimited when too many went out for the address, whether or not the account has the
    method.
    """
    try:
        if option.sends_code:
            with _taking_at_least(settings.RESET_SEND_SECONDS):
                _send_code(request, state, option)
        elif option.proof == "answers":
            count = state.policy.reset_security_questions
            state.question_ids = option.answers.reset_questions(state.user_id, count, state.email)
        state.option = option.key
        state.hint = hints(state, [option]).get(option.key, "")
    finally:
        save(request, state)


@contextmanager
def _taking_at_least(seconds: float) -> Iterator[None]:
    """Make the block last at least this long: a real send to a provider takes longer than
    none at all, and the difference would tell that the address has an account."""
    started = time.monotonic()
    try:
        yield
    finally:
        if (remaining := seconds - (time.monotonic() - started)) > 0:
            time.sleep(remaining)


def _send_code(request, state: ResetState, option: ResetOption) -> None:
    if time.time() < state.sent_at + challenges.RESEND_AFTER:
        seconds = max(0, int(state.sent_at + challenges.RESEND_AFTER - time.time()))
        raise SendRefused(
            ngettext(
                "A code was just sent. You can ask for another in %(seconds)s second.",
                "A code was just sent. You can ask for another in %(seconds)s seconds.",
                seconds,
            )
            % {"seconds": seconds}
        )
    # Tighter than the per-account and per-number limits of challenges.send(), so this one is
    # the limit anyone meets first, account or not.
    ratelimits.consume(request, "reset_send", key=side_key(state.email, state.user_id, request))
    found = _method_and_challenge(state, option)
    challenge = _send_quietly(request, found[1]) if found is not None else None
    if challenge is not None:
        state.sent_at = challenge.sent_at
    else:
        # As a real send would, this replaces the code sent before.
        challenges.clear(request, PURPOSE)
        state.sent_at = time.time()
    state.attempts = 0


def _send_quietly(request, challenge: challenges.Challenge) -> challenges.Challenge | None:
    """Send the code, or nothing (None) past the account's or the number's own send limits.

    Only an address with the method ever meets those, so a refusal would tell that it has
    one; past them it gets what an address without the method gets. "reset_send", which
    every address meets alike and first, is the limit people are told of.
    """
    try:
        return challenges.send(request, challenge)
    except ratelimits.RateLimited:
        return None


def check_code(request, state: ResetState, option: ResetOption, code: str) -> None:
    """Pass the gate if the code is right; raise ChallengeError if not, RateLimited past
    "reset_check" (per address and per IP)."""
    try:
        ratelimits.consume(
            request, "reset_check", key=side_key(state.email, state.user_id, request)
        )
        if option.sends_code:
            _check_sent_code(request, state, option, code)
        else:
            _check_app_code(state, option, code)
        _pass_gate(state, option)
    finally:
        save(request, state)


def _method_and_challenge(
    state: ResetState, option: ResetOption
) -> tuple[Method, challenges.Challenge] | None:
    """The account's method for this option and the challenge its code goes out with: None
    where it has no such method, or where a gate already passed sent its code there."""
    method = option.sender.registered_for(state.user_id)
    if method is None:
        return None
    challenge = option.sender.challenge_for(PURPOSE, method, option.channel)
    if _destination(challenge) in state.destinations_used:
        return None
    return method, challenge


def _check_sent_code(request, state: ResetState, option: ResetOption, code: str) -> None:
    found = _method_and_challenge(state, option)
    # No code in the session: none went out (see _send_quietly), or an expired one was dropped.
    if found is None or challenges.current(request, PURPOSE) is None:
        _refuse_unsent_code(state, code)
    method = found[0]
    challenge = challenges.check(request, PURPOSE, code)
    if challenge.method_id != method.pk or challenge.user_id != state.user_id:
        raise InvalidCode(_("That code is not right. Check it and try again."))
    mark_used(method)
    state.destinations_used.append(_destination(challenge))


def _destination(challenge: challenges.Challenge) -> str:
    return crypto.digest(challenge.destination.lower(), "reset:destination")


def _refuse_unsent_code(state: ResetState, code: str) -> NoReturn:
    """Raise for any code, as challenges.check() does for a wrong one, step for step."""
    if state.attempts >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Ask for a new one."))
    if time.time() > state.sent_at + challenges.CODE_LIFETIME:
        raise ExpiredCode(_("This code has expired. Ask for a new one."))
    crypto.digest(code, f"challenge:{PURPOSE}")  # the work of a real comparison
    state.attempts += 1
    if state.attempts >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Ask for a new one."))
    raise InvalidCode(_("That code is not right. Check it and try again."))


def _check_app_code(state: ResetState, option: ResetOption, code: str) -> None:
    """Accept a current, unused code of any of the account's apps; five wrong ones end the
    reset (TooManyAttempts)."""
    if state.app_attempts >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Start again."))
    if option.app.accept_any(state.user_id, code):
        return
    state.app_attempts += 1
    if state.app_attempts >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Start again."))
    raise InvalidCode(_("That code is not right, or it was already used. Wait for the next one."))


def asked_questions(state: ResetState, option: ResetOption) -> list:
    return option.answers.questions(state.question_ids)


def check_answers(request, state: ResetState, option: ResetOption, answers: dict[int, str]) -> bool:
    """Pass the gate if every answer is right; raise RateLimited when limited.

    An address without an account is limited and hashed like one with an account.
    """
    user = _active_account(state.user_id)
    correct = option.answers.check_reset_answers(request, user, state.email, answers)
    if correct:
        _pass_gate(state, option)
        save(request, state)
    return correct


def _pass_gate(state: ResetState, option: ResetOption) -> None:
    state.gates_passed += 1
    state.kinds_used.append(option.kind.key)
    state.option = ""
    state.attempts = 0
    state.sent_at = 0.0  # the next gate's first code goes out at once
    state.question_ids = []


def verified_user(state: ResetState):
    """Return the account once every gate is passed in this reset, if it is still active."""
    if not state.verified:
        return None
    return _active_account(state.user_id)


def _active_account(user_id: int | None):
    """The account a reset is for, if it exists and is active; an address without one (None)
    finds nothing after the same query."""
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()  # type: ignore[misc]


def allow_finish(request, state: ResetState) -> None:
    """Count an attempt at the last step; raise RateLimited past "reset_finish"."""
    ratelimits.consume(request, "reset_finish", key=state.email)


def finish(request, user, raw_password: str) -> None:
    """Give the account its new password and end every session it has, this one included.

    The old sessions end on their next request (Django ties them to the password hash); this
    browser's is flushed now. Lockouts are lifted, the reset is logged, and every registered
    email address gets a confirmation.
    """
    logout(request)  # signed in or not, nothing of this browser's session is kept
    _reset_password(request, user, raw_password)
    request.session[DONE_SESSION_KEY] = True


def _reset_password(request, user, raw_password: str) -> None:
    passwords.set_password(
        request, user, raw_password, kind=SecurityEvent.Kind.PASSWORD_RESET, notify=False
    )
    event = SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.PASSWORD_RESET)[0]
    alternates = [address for kind in KINDS.values() for address in kind.mail_addresses(user)]
    addresses = list(dict.fromkeys(a.lower() for a in [user.email, *alternates] if a))
    # Sent once the new password is saved for good, like every security notification.
    transaction.on_commit(partial(_send_confirmations, event, addresses, site_url(request)))


def _send_confirmations(event: SecurityEvent, addresses: list[str], site_url: str) -> None:
    user = event.user
    organization = home_organization(user)
    context = {
        "event": event,
        "user": user,
        "site_url": site_url,
        "site_name": settings.SITE_NAME,
        "helpdesk_url": organization.helpdesk_url if organization else "",
    }
    with (
        translation.override(user.preferred_language or None),
        timezone.override(user.time_zone or None),
    ):
        subject = render_to_string("password/reset/email/subject.txt", context).strip()
        body = render_to_string("password/reset/email/message.txt", context)
    for address in addresses:
        try:
            delivery.send_mail(address, subject, body, purpose="password reset notice", user=user)
        except delivery.DeliveryFailed:
            # The reset stands; the security log keeps the event.
            logger.warning("could not send the reset confirmation for event %s", event.pk)
