"""Changes to a user's sign-in methods: each writes its rows, an event and an email."""

from django.db import transaction
from django.http import HttpRequest

from organizations.policies import authentication_policy
from portal.sudo import record_verification
from security_info.kinds import SignInOption
from security_info.methods import (
    KINDS,
    default_candidates,
    default_option,
    kind_of,
    second_factor_methods,
    why_undeletable,
)
from security_info.models import Method
from signins.models import SecurityEvent
from signins.services import record_security_event


class MethodLocked(Exception):
    """The change would leave the account without what the policy requires."""


@transaction.atomic
def add_method(request: HttpRequest, user, *, kind: str, **fields) -> Method:
    """Register a verified method; the first sign-in-capable one becomes the default."""
    policy = authentication_policy(user)
    first_second_factor = not second_factor_methods(user, policy)
    method = Method.objects.create(user=user, kind=kind, **fields)
    _ensure_default(user)
    if kind_of(method).is_second_factor(policy) and first_second_factor:
        # Sudo mode rested on the password while there was no method; the person has just
        # proved this one, so the session keeps its standing instead of asking again.
        record_verification(request, method.kind)
    record_security_event(
        request,
        user,
        SecurityEvent.Kind.METHOD_ADDED,
        method=_label(method),
        detail=kind_of(method).detail(method),
    )
    method.refresh_from_db(fields=["is_default"])
    return method


@transaction.atomic
def change_method(request: HttpRequest, method: Method, **fields) -> Method:
    for name, value in fields.items():
        setattr(method, name, value)
    method.save()
    record_security_event(
        request,
        method.user,
        SecurityEvent.Kind.METHOD_CHANGED,
        method=_label(method),
        detail=kind_of(method).detail(method),
    )
    return method


@transaction.atomic
def delete_method(request: HttpRequest, method: Method) -> None:
    """Delete a method, by its owner or by an admin (`request.user`); move the default on if
    it was the default. The owner is told by email either way, the event names the admin.

    Refuse the owner the last multi-factor method while the policy requires multi-factor
    sign-in: they would be locked out, or asked to register again at once. An admin may
    delete it (a lost phone): the owner then registers again at the next sign-in, as after
    "Require re-registration".
    """
    user = method.user
    # Locked, so that two deletions at once cannot each leave the other method the last one.
    locked = Method.objects.select_for_update().filter(user=user)
    methods = list(locked)
    if request.user.pk == user.pk:
        reason = why_undeletable(method, methods, authentication_policy(user))
        if reason:
            raise MethodLocked(reason)
    method.delete()
    _ensure_default(user)
    record_security_event(
        request,
        user,
        SecurityEvent.Kind.METHOD_DELETED,
        method=_label(method),
        detail=kind_of(method).detail(method),
    )


@transaction.atomic
def set_default(request: HttpRequest, user, option: SignInOption) -> None:
    """Make the option (a method, and for a phone text or call) the one challenged first."""
    Method.objects.filter(user=user, is_default=True).update(is_default=False)
    Method.objects.filter(pk=option.method.pk).update(is_default=True, channel=option.channel)
    option.method.is_default, option.method.channel = True, option.channel
    record_security_event(
        request,
        user,
        SecurityEvent.Kind.DEFAULT_CHANGED,
        method=_label(option.method),
        channel=Method.Channel(option.channel).label if option.channel else None,
        detail=option.kind.detail(option.method),
    )


def _label(method: Method):
    """The kind's name, lazily: the event words it in its reader's language."""
    return Method.Kind(method.kind).label


def _ensure_default(user) -> None:
    """Keep exactly one default among the sign-in-capable methods: the strongest one."""
    policy = authentication_policy(user)
    methods = list(Method.objects.select_for_update().filter(user=user))
    options = default_candidates(methods, policy)
    if any(m.is_default for m in methods) or not options:
        return
    best = default_option(options, policy)
    assert best is not None  # noqa: S101 (there are options)
    # A phone keeps the channel it was proved with: registered by text, it is challenged by text.
    proved = (best.method, best.method.channel)
    best = next((o for o in options if (o.method, o.channel) == proved), best)
    Method.objects.filter(pk=best.method.pk).update(is_default=True, channel=best.channel)


def require_reregistration(request: HttpRequest, users) -> int:
    """Delete what Microsoft's "Require re-register MFA" does (phones and authenticator apps)
    and the app passwords created under them, so that the users' next sign-in asks them to
    register again: every kind `cleared_by_reregistration`. What is left (a passkey, an
    email) becomes the default. Log it for each user and tell them; return how many users."""
    count = 0
    for user in users:
        with transaction.atomic():
            cleared = [
                (kind.label, kind.clear(user))
                for kind in KINDS.values()
                if kind.cleared_by_reregistration
            ]
            _ensure_default(user)
            record_security_event(
                request,
                user,
                SecurityEvent.Kind.METHODS_RESET,
                cleared=[(label, number) for label, number in cleared if number],
            )
        count += 1
    return count
