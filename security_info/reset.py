"""Self-service password reset: the flow's state, and the rules that keep it honest.

The person types an address, proves who they are at one or two verification gates (the
policy's `reset_gates`), each with a different registered method, then chooses a new
password. Everything before that lives in the session, so abandoning halfway changes nothing.

Nothing here may tell an outsider whether an address has an account, or which methods it
has. So every address gets the same pages and the same answers: the choices on offer come
from the organization's policy (the organization that manages the account, else the one whose
domain the address is in), never from the account; a code "goes to the phone or email
registered for this account, if there is one"; and where there is none, the checks that
follow fail with the same messages, the same attempt counting, the same rate limits and about
the same work as the real ones.
"""

import logging
import random
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property, partial

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import AuthenticationPolicy, Organization, get_home_organization
from security_info import challenges, crypto, delivery, limits, passwords, questions, totp
from security_info.challenges import ExpiredCode, InvalidCode, SendRefused, TooManyAttempts
from security_info.models import Method, SecurityAnswer, SecurityQuestion
from signins.models import SecurityEvent

logger = logging.getLogger(__name__)

SESSION_KEY = "security_info.reset"
DONE_SESSION_KEY = "security_info.reset_done"
PURPOSE = "reset"  # the challenges purpose: a reset code proves nothing anywhere else
LIFETIME = 15 * 60  # seconds from the address to the new password
SECURITY_QUESTIONS = "security_questions"

Kind, Channel = Method.Kind, Method.Channel


class RateLimited(Exception):
    """Too many attempts at this step lately, for the address or from the IP."""


@dataclass(frozen=True)
class ResetOption:
    """One way to pass a gate, as offered to everyone: "Text my mobile phone"."""

    key: str
    label: str | Promise
    prompt: str | Promise  # what the proof page says; true whether or not there is a method
    kind: str  # the Method kind it needs, or SECURITY_QUESTIONS
    channel: str
    policy_flag: str

    @property
    def sends_code(self) -> bool:
        return self.kind in (Kind.EMAIL, Kind.MOBILE_PHONE, Kind.OFFICE_PHONE)

    @property
    def url_name(self) -> str:
        """The page that asks for the proof."""
        return (
            "sign_in:reset_questions" if self.kind == SECURITY_QUESTIONS else "sign_in:reset_code"
        )


OPTIONS = (
    ResetOption(
        "email",
        gettext_lazy("Email my alternate email"),
        gettext_lazy(
            "We sent a code to the alternate email address registered for this account, if there is one. It can take a minute."
        ),
        Kind.EMAIL,
        "",
        "reset_by_email",
    ),
    ResetOption(
        "mobile_text",
        gettext_lazy("Text my mobile phone"),
        gettext_lazy(
            "We sent a code by text message to the mobile phone registered for this account, if there is one. It can take a minute."
        ),
        Kind.MOBILE_PHONE,
        Channel.SMS,
        "reset_by_mobile_phone",
    ),
    ResetOption(
        "mobile_call",
        gettext_lazy("Call my mobile phone"),
        gettext_lazy(
            "We are calling the mobile phone registered for this account, if there is one, to read you a code. It can take a minute."
        ),
        Kind.MOBILE_PHONE,
        Channel.VOICE,
        "reset_by_mobile_phone",
    ),
    ResetOption(
        "office_call",
        gettext_lazy("Call my office phone"),
        gettext_lazy(
            "We are calling the office phone registered for this account, if there is one, to read you a code. It can take a minute."
        ),
        Kind.OFFICE_PHONE,
        Channel.VOICE,
        "reset_by_office_phone",
    ),
    ResetOption(
        "authenticator",
        gettext_lazy("Enter a code from my authenticator app"),
        gettext_lazy("Open the authenticator app you registered and enter the code it shows."),
        Kind.AUTHENTICATOR,
        "",
        "reset_by_authenticator",
    ),
    ResetOption(
        SECURITY_QUESTIONS,
        gettext_lazy("Answer my security questions"),
        gettext_lazy("Answer these questions as you did when you registered them."),
        SECURITY_QUESTIONS,
        "",
        "reset_by_security_questions",
    ),
)
OPTIONS_BY_KEY = {option.key: option for option in OPTIONS}


@dataclass
class ResetState:
    """Where one reset attempt stands; kept in the session, so it ends with it."""

    email: str  # as typed, normalised: rate limits and the question choice key on it
    user_id: int | None  # the active account with that address, if any; never shown
    organization_id: int | None
    started_at: float
    gates_passed: int = 0
    kinds_used: list[str] = field(default_factory=list)  # each gate needs another method
    option: str = ""  # the option chosen at the current gate
    # When the last code went out (really, or not for want of a method) and for which kind:
    # the resend cooldown then holds for every address alike.
    sent_kind: str = ""
    sent_at: float = 0.0
    # Wrong codes for the current send where none went out (a real one counts in its
    # challenge), and wrong authenticator codes in this reset.
    attempts: int = 0
    app_attempts: int = 0
    question_ids: list[int] = field(default_factory=list)

    @property
    def expired(self) -> bool:
        return time.time() > self.started_at + LIFETIME

    @property
    def gate(self) -> int:
        return self.gates_passed + 1

    @cached_property
    def organization(self) -> Organization | None:
        if self.organization_id is None:
            return None
        return (
            Organization.objects.select_related("authentication_policy")
            .filter(pk=self.organization_id)
            .first()
        )

    @cached_property
    def policy(self) -> AuthenticationPolicy:
        if self.organization is None:
            return AuthenticationPolicy()
        try:
            return self.organization.authentication_policy
        except AuthenticationPolicy.DoesNotExist:
            return AuthenticationPolicy()

    @property
    def helpdesk_url(self) -> str:
        return self.organization.helpdesk_url if self.organization else ""

    @property
    def verified(self) -> bool:
        return self.user_id is not None and self.gates_passed >= self.policy.reset_gates


def normalise_email(email: str) -> str:
    return "".join(email.split()).lower()


def begin(request, email: str) -> ResetState:
    """Start a reset for whatever address was typed; raise RateLimited past "reset_start".

    Known or not, the address costs the same work: one account lookup, one organization
    lookup, no hashing.
    """
    email = normalise_email(email)
    if not _allow(request, "reset_start", email):
        raise RateLimited
    user = get_user_model().objects.by_email(email).filter(is_active=True).first()
    organization = get_home_organization(user) if user else None
    if organization is None:
        organization = _organization_of_domain(email)
    state = ResetState(
        email=email,
        user_id=user.pk if user else None,
        organization_id=organization.pk if organization else None,
        started_at=time.time(),
    )
    challenges.clear(request, PURPOSE)
    # A new session key: whoever planted this browser's session cookie cannot follow along.
    request.session.cycle_key()
    save(request, state)
    return state


def _organization_of_domain(email: str) -> Organization | None:
    domain = email.rpartition("@")[2]
    if not domain:
        return None
    return Organization.objects.filter(primary_domain__iexact=domain).order_by("pk").first()


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
    """The choices at the current gate: what the policy allows, minus methods already used.

    The same list for every address of the organization, whatever the account has.
    """
    policy = state.policy
    if not policy.reset_enabled:
        return []
    return [
        option
        for option in OPTIONS
        if getattr(policy, option.policy_flag)
        and option.kind not in state.kinds_used
        and not (option.kind in (Kind.MOBILE_PHONE, Kind.OFFICE_PHONE) and _phones_off())
    ]


def _phones_off() -> bool:
    return settings.PHONE_BACKEND == "none"


def choose(request, state: ResetState, option: ResetOption) -> None:
    """Take the option for the current gate: send its code, or pick its questions.

    Raise SendRefused (nothing changes) when a code was just sent to that kind of method or
    too many went out for the address, whether or not the account has the method.
    """
    try:
        if option.sends_code:
            _send_code(request, state, option)
        elif option.kind == SECURITY_QUESTIONS:
            state.question_ids = _pick_questions(state)
        state.option = option.key
    finally:
        save(request, state)


def _send_code(request, state: ResetState, option: ResetOption) -> None:
    if state.sent_kind == option.kind and time.time() < state.sent_at + challenges.RESEND_AFTER:
        seconds = max(0, int(state.sent_at + challenges.RESEND_AFTER - time.time()))
        raise SendRefused(
            _("A code was just sent. You can ask for another in %(seconds)s seconds.")
            % {"seconds": seconds}
        )
    # Tighter than the per-account and per-number limits of challenges.send(), so this one is
    # the limit anyone meets first, account or not.
    if not _allow(request, "reset_send", state.email):
        raise SendRefused(_("Too many codes were sent. Wait a while, then try again."))
    method = _registered_method(state, option.kind)
    if method is not None:
        challenge = challenges.send(request, challenges.for_method(PURPOSE, method, option.channel))
        state.sent_at = challenge.sent_at
    else:
        # As a real send would, this replaces the code sent before.
        challenges.clear(request, PURPOSE)
        state.sent_at = time.time()
    state.sent_kind = option.kind
    state.attempts = 0


def _registered_method(state: ResetState, kind: str) -> Method | None:
    # Queried for unknown addresses too (user_id IS NULL finds nothing): the same work.
    return Method.objects.filter(user_id=state.user_id, user__is_active=True, kind=kind).first()


def check_code(request, state: ResetState, option: ResetOption, code: str) -> None:
    """Pass the gate if the code is right; raise ChallengeError if not, RateLimited past
    "reset_check" (per address and per IP)."""
    try:
        if not _allow(request, "reset_check", state.email):
            raise RateLimited
        if option.kind == Kind.AUTHENTICATOR:
            _check_app_code(state, code)
        else:
            _check_sent_code(request, state, option, code)
        _pass_gate(state, option)
    finally:
        save(request, state)


def _check_sent_code(request, state: ResetState, option: ResetOption, code: str) -> None:
    method = _registered_method(state, option.kind)
    if method is None:
        _refuse_unsent_code(state, code)
    challenge = challenges.check(request, PURPOSE, code)
    if challenge.method_id != method.pk or challenge.user_id != state.user_id:
        raise InvalidCode(_("That code is not right. Check it and try again."))
    Method.objects.filter(pk=method.pk).update(last_used_at=timezone.now())


def _refuse_unsent_code(state: ResetState, code: str) -> None:
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


def _check_app_code(state: ResetState, code: str) -> None:
    """Accept a current, unused code of any of the account's apps; five wrong ones end the
    reset (TooManyAttempts)."""
    if state.app_attempts >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Start again."))
    apps = list(
        Method.objects.filter(user_id=state.user_id, user__is_active=True, kind=Kind.AUTHENTICATOR)
    )
    if apps:
        if any(totp.accept_code(app, code) for app in apps):
            return
    else:
        totp.matching_step(totp.new_secret(), code)  # the work of a real check
    state.app_attempts += 1
    if state.app_attempts >= challenges.MAX_ATTEMPTS:
        raise TooManyAttempts(_("Too many wrong codes. Start again."))
    raise InvalidCode(_("That code is not right, or it was already used. Wait for the next one."))


def _pick_questions(state: ResetState) -> list[int]:
    """Choose which questions to ask: the same ones every time for the same address.

    An account's own answered questions when it has enough of them, else questions from the
    active pool; either way drawn with a generator seeded by a keyed hash of the address, so
    starting over shows the same questions and cannot tell an account from none.
    """
    count = state.policy.reset_security_questions
    seed = int(crypto.digest(state.email, "reset-questions"), 16)
    # Deterministic on purpose (seeded by a secret-keyed hash), not for cryptography.
    chooser = random.Random(seed)  # noqa: S311
    answered = sorted(
        SecurityAnswer.objects.filter(
            user_id=state.user_id, user__is_active=True, user__is_staff=False
        ).values_list("question_id", flat=True)
    )
    if len(answered) >= count:
        return chooser.sample(answered, count)
    pool = sorted(SecurityQuestion.objects.filter(is_active=True).values_list("pk", flat=True))
    return chooser.sample(pool, min(count, len(pool)))


def asked_questions(state: ResetState) -> list[SecurityQuestion]:
    found = SecurityQuestion.objects.in_bulk(state.question_ids)
    return [found[pk] for pk in state.question_ids if pk in found]


def check_answers(request, state: ResetState, answers: dict[int, str]) -> bool:
    """Pass the gate if every answer is right; raise questions.TooManyGuesses when limited.

    An address without an account is limited and hashed like one with an account.
    """
    user = get_user_model().objects.filter(pk=state.user_id, is_active=True).first()
    if user is not None:
        correct = questions.check_answers(request, user, answers)
    else:
        key = f"email:{state.email}"
        if not limits.allow_secret_check(request, "check_security_answers", key=key):
            raise questions.TooManyGuesses(_("Too many tries. Wait a while, then try again."))
        for answer in answers.values():
            make_password(questions.normalize_answer(answer))
        correct = False
    if correct:
        _pass_gate(state, OPTIONS_BY_KEY[SECURITY_QUESTIONS])
        save(request, state)
    return correct


def _pass_gate(state: ResetState, option: ResetOption) -> None:
    state.gates_passed += 1
    state.kinds_used.append(option.kind)
    state.option = ""
    state.attempts = 0
    state.question_ids = []


def verified_user(state: ResetState):
    """Return the account once every gate is passed in this reset, if it is still active."""
    if not state.verified:
        return None
    return get_user_model().objects.filter(pk=state.user_id, is_active=True).first()


def allow_finish(request, state: ResetState) -> bool:
    return _allow(request, "reset_finish", state.email)


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
    event = SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.PASSWORD_RESET).first()
    alternates = Method.objects.filter(user=user, kind=Kind.EMAIL).values_list("email", flat=True)
    addresses = list(dict.fromkeys(a.lower() for a in [user.email, *alternates] if a))
    site_url = request.build_absolute_uri("/")
    # Sent once the new password is saved for good, like every security notification.
    transaction.on_commit(partial(_send_confirmations, event, addresses, site_url))


def _send_confirmations(event: SecurityEvent, addresses: list[str], site_url: str) -> None:
    user = event.user
    organization = get_home_organization(user)
    context = {
        "event": event,
        "user": user,
        "site_url": site_url,
        "helpdesk_url": organization.helpdesk_url if organization else "",
    }
    with (
        translation.override(user.preferred_language or None),
        timezone.override(user.time_zone or None),
    ):
        subject = render_to_string("security_info/reset/email/subject.txt", context).strip()
        body = render_to_string("security_info/reset/email/message.txt", context)
    for address in addresses:
        try:
            delivery.send_mail(address, subject, body)
        except delivery.DeliveryFailed:
            # The reset stands; the security log keeps the event.
            logger.warning("could not send the reset confirmation for event %s", event.pk)


def _allow(request, action: str, email: str) -> bool:
    """Count an attempt at a reset step for the typed address and the client's IP."""
    return limits.allow_secret_check(request, action, key=email)
