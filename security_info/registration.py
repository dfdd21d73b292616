"""What a sign-in asks of someone's security info: "Keep your account secure", and the review.

Two interrupts (SecurityInfoConfig.portal_interrupts), both decided at sign-in:

- Registration is due when the policy requires multi-factor sign-in and the person has no
  method that completes one, or when self-service password reset is on, the policy requires
  registering for it at sign-in, and the person has fewer of the methods a reset accepts than
  it asks for (`reset_gates`; two for an admin account, as the reset itself demands). As in
  Entra ID, when both apply the first method must complete a multi-factor sign-in, and the
  wizard asks for the fewest methods that meet both. What multi-factor sign-in needs cannot
  be put off; what only a reset needs can, for the policy's number of days from the first
  time the person was asked. A requirement the person cannot meet (the policy allows too few
  methods they may add) is not asked for.
- The review is due every `reconfirm_days` after the person last confirmed their info, or
  registered it here: they see what they have and confirm it, or change it. Deleting a method
  does not bring it sooner.

A reset counts kinds, not registrations (each gate needs another kind of method, see
security_info.password.reset), and security questions never pass its first gate, so questions
alone never let anyone reset.

RegistrationStatus is read here, at sign-in only: what the pages need afterwards rides in the
interrupts' session values.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone

from organizations.policies import authentication_policy
from portal.http import once_per_request
from portal.privilege import is_privileged
from security_info import cache
from security_info.apps import MUST_REGISTER_SESSION_KEY, REVIEW_SESSION_KEY
from security_info.kinds import Kind
from security_info.methods import (
    KINDS,
    METHOD_KINDS,
    methods_of,
    setup_choices,
    sign_in_options,
)
from security_info.models import Method, RegistrationStatus

if TYPE_CHECKING:
    from organizations.models import AuthenticationPolicy
    from portal.models import User


@dataclass(frozen=True)
class Plan:
    """What the person still has to register, and the kinds to offer for the next one."""

    mfa: bool  # a method that completes a multi-factor sign-in
    reset: int  # how many more kinds of method a password reset needs
    choices: list[Kind] = field(default_factory=list)  # the recommended one first
    # Whether the first choice meets both needs at once.
    first_counts_twice: bool = False

    @property
    def due(self) -> bool:
        return self.mfa or self.reset > 0

    @property
    def remaining(self) -> int:
        """The fewest methods still to add."""
        if self.mfa:
            return 1 + self.reset - (1 if self.first_counts_twice else 0)
        return self.reset


def reset_gates(user: "User", policy: "AuthenticationPolicy") -> int:
    """How many gates a password reset puts this person through."""
    return max(policy.reset_gates, 2 if is_privileged(user) else 1)


def _reset_proofs(kind: Kind, policy: "AuthenticationPolicy", privileged: bool) -> set[str]:
    """How a reset lets this kind prove who someone is: {"code"}, {"answers"} or nothing."""
    return {
        option.proof
        for option in kind.reset_options()
        if kind.offers_at_reset(option, policy) and not (privileged and option.proof == "answers")
    }


Registered = Callable[[Kind], bool]


def registry(user: "User", methods: list[Method]) -> Registered:
    """Tell whether the person has registered a kind, asking each kind once (security
    questions, say, read their own table)."""
    known: dict[str, bool] = {}

    def registered(kind: Kind) -> bool:
        if kind.key not in known:
            known[kind.key] = kind.count(kind.rows(user, methods)) > 0
        return known[kind.key]

    return registered


def plan(
    user: "User",
    policy: "AuthenticationPolicy",
    methods: list[Method],
    registered: Registered | None = None,
) -> Plan:
    """Work out what the person must register now, from their methods and the policy."""
    registered = registered or registry(user, methods)
    mfa = bool(policy.mfa_required) and not sign_in_options(methods, policy)
    reset, needs_code, candidates = _reset_needs(user, policy, registered)

    def counts_for_reset(kind: Kind) -> bool:
        proves_by_code = "code" in _reset_proofs(kind, policy, is_privileged(user))
        return kind in candidates and (proves_by_code or not needs_code or reset > 1)

    if mfa:
        choices = [
            kind
            for kind in setup_choices(policy)
            if kind.offered_at_setup and kind.may_add(user, policy) and not registered(kind)
        ]
        if reset:
            # One method can meet both needs: those first, each group strongest first.
            choices.sort(key=lambda kind: not counts_for_reset(kind))
        return Plan(
            mfa=True,
            reset=reset,
            choices=choices,
            first_counts_twice=bool(reset and choices and counts_for_reset(choices[0])),
        )
    return Plan(mfa=False, reset=reset, choices=[k for k in candidates if counts_for_reset(k)])


def _reset_needs(
    user: "User", policy: "AuthenticationPolicy", registered: Registered
) -> tuple[int, bool, list[Kind]]:
    """Return how many more kinds a reset needs, whether one of them must prove by code
    (nothing registered passes the first gate), and the kinds the person could add for it,
    strongest first."""
    if not (policy.reset_enabled and policy.reset_registration_required):
        return 0, False, []
    privileged = is_privileged(user)
    accepted = {kind: _reset_proofs(kind, policy, privileged) for kind in KINDS.values()}
    accepted = {kind: proofs for kind, proofs in accepted.items() if proofs}
    have = [kind for kind in accepted if registered(kind)]
    needs_code = not any("code" in accepted[kind] for kind in have)
    missing = max(reset_gates(user, policy) - len(have), 1 if needs_code else 0)
    candidates = sorted(
        (
            kind
            for kind in accepted
            if kind not in have
            and kind.add_url_name
            and kind.offered_at_setup
            and kind.may_add(user, policy)
        ),
        key=lambda kind: kind.strength,
    )
    can_meet = len(candidates) >= missing and (
        not needs_code or any("code" in accepted[kind] for kind in candidates)
    )
    if not missing or not can_meet:
        return 0, False, []
    return missing, needs_code, candidates


def registered_keys(
    user: "User", methods: list[Method], registered: Registered | None = None
) -> list[str]:
    """The kinds the wizard could offer that the person already has (what "added" is
    measured against)."""
    registered = registered or registry(user, methods)
    return [
        key
        for key, kind in KINDS.items()
        if (key in METHOD_KINDS or kind.reset_options())
        and kind.add_url_name
        and kind.offered_at_setup
        and registered(kind)
    ]


@dataclass
class _SignInFacts:
    user: "User"
    policy: "AuthenticationPolicy"
    methods: list[Method]
    status: RegistrationStatus | None

    @cached_property
    def registered(self) -> Registered:
        return registry(self.user, self.methods)

    @cached_property
    def plan(self) -> Plan:
        return plan(self.user, self.policy, self.methods, self.registered)


def _facts(request: HttpRequest, user: "User") -> _SignInFacts:
    """What both checks read, once per sign-in."""
    return once_per_request(
        request,
        "security_info.registration",
        lambda: _SignInFacts(
            user=user,
            policy=authentication_policy(user),
            methods=methods_of(request, user),
            status=cache.of_user(
                user,
                "registration_status",
                lambda: RegistrationStatus.objects.filter(user=user).first(),
            ),
        ),
    )


def registration_due(request: HttpRequest, user: "User") -> dict | None:
    """The registration interrupt's check, at sign-in: None when nothing is missing, else
    what the wizard needs to know later (whether it may be put off; what the person had)."""
    facts = _facts(request, user)
    status = facts.status
    if not facts.plan.due:
        if status is not None and status.first_asked_at is not None:
            status.first_asked_at = None  # a later gap starts a new window
            status.save(update_fields=["first_asked_at"])
        return None
    now = timezone.now()
    if status is None:  # (two sign-ins at once may both get here: get_or_create copes)
        status, _created = RegistrationStatus.objects.get_or_create(
            user=user, defaults={"first_asked_at": now}
        )
        facts.status = status
    if status.first_asked_at is None:
        status.first_asked_at = now
        status.save(update_fields=["first_asked_at"])
    days = facts.policy.reset_registration_skip_days
    assert status.first_asked_at is not None  # noqa: S101 (set just above)
    return {
        "may_skip": bool(days) and now < status.first_asked_at + timedelta(days=days),
        "had": registered_keys(user, facts.methods, facts.registered),
    }


def review_due(request: HttpRequest, user: "User") -> bool:
    """The review interrupt's check, at sign-in: whether the person should confirm their info.

    Someone never asked before is counted from their newest method (or from now), noted once.
    """
    facts = _facts(request, user)
    policy = facts.policy
    if not (policy.reset_enabled and policy.reset_registration_required and policy.reconfirm_days):
        return False
    if facts.plan.due:
        return False  # "Keep your account secure" comes first, and counts as confirming
    status = facts.status
    if status is None or status.last_confirmed_at is None:
        since = max((m.created_at for m in facts.methods), default=timezone.now())
        status, _created = RegistrationStatus.objects.update_or_create(
            user=user, defaults={"last_confirmed_at": since}
        )
        facts.status = status
    assert status.last_confirmed_at is not None  # noqa: S101 (set just above)
    return timezone.now() >= status.last_confirmed_at + timedelta(days=policy.reconfirm_days)


def put_off(request: HttpRequest, user: "User") -> None:
    """Let the person go on without registering, until the next sign-in."""
    RegistrationStatus.objects.update_or_create(
        user=user, defaults={"last_skipped_at": timezone.now()}
    )
    request.session.pop(MUST_REGISTER_SESSION_KEY, None)


def confirm(request: HttpRequest, user: "User") -> None:
    """Note that the person's info is complete and confirmed now (the wizard's Done, the
    review's "Looks good"): the next review comes a full interval later."""
    RegistrationStatus.objects.update_or_create(
        user=user, defaults={"last_confirmed_at": timezone.now(), "first_asked_at": None}
    )
    request.session.pop(MUST_REGISTER_SESSION_KEY, None)
    request.session.pop(REVIEW_SESSION_KEY, None)
