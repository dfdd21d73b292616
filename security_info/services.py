"""Changes to a user's sign-in methods: each writes its rows, an event and an email."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from organizations.models import get_policy
from security_info.apps import MUST_REGISTER_SESSION_KEY, SETUP_DONE_SESSION_KEY
from security_info.methods import METHOD_TYPES, default_option, is_second_factor, sign_in_options
from security_info.models import Method
from security_info.sudo import record_verification
from signins.models import SecurityEvent
from signins.services import record_security_event


class MethodLocked(Exception):
    """The change would leave the account without what the policy requires."""


def get_method_for_user(user, pk, kinds=None) -> Method:
    """Return the user's method, or 404 for anyone else's (and for a malformed id)."""
    methods = Method.objects.filter(user=user)
    if kinds:
        methods = methods.filter(kind__in=kinds)
    try:
        return get_object_or_404(methods, pk=int(pk))
    except (TypeError, ValueError):
        from django.http import Http404

        raise Http404 from None


def user_methods(request) -> list[Method]:
    """Return the signed-in user's methods, read once per request by the pages that only read
    (sudo mode's check and the page itself share it)."""
    if not hasattr(request, "_security_methods"):
        request._security_methods = list(Method.objects.filter(user=request.user))
    return request._security_methods


def mfa_methods(user, policy=None) -> list[Method]:
    """Return the methods that can complete a multi-factor sign-in."""
    policy = policy or get_policy(user)
    return [m for m in Method.objects.filter(user=user) if is_second_factor(m, policy)]


@transaction.atomic
def add_method(request, user, *, kind: str, **fields) -> Method:
    """Register a verified method; the first sign-in-capable one becomes the default."""
    policy = get_policy(user)
    first_factor_method = not mfa_methods(user, policy)
    method = Method.objects.create(user=user, kind=kind, **fields)
    _ensure_default(user)
    if is_second_factor(method, policy):
        if first_factor_method:
            # Sudo mode rested on the password while there was no method; the person has just
            # proved this one, so the session keeps its standing instead of asking again.
            record_verification(request, method.kind)
        if request.session.pop(MUST_REGISTER_SESSION_KEY, None):
            request.session[SETUP_DONE_SESSION_KEY] = True
    record_security_event(
        request,
        user,
        SecurityEvent.Kind.METHOD_ADDED,
        f"{method.get_kind_display()}: {method.detail}",
    )
    method.refresh_from_db(fields=["is_default"])
    return method


@transaction.atomic
def change_method(request, method: Method, **fields) -> Method:
    for name, value in fields.items():
        setattr(method, name, value)
    method.save()
    record_security_event(
        request,
        method.user,
        SecurityEvent.Kind.METHOD_CHANGED,
        f"{method.get_kind_display()}: {method.detail}",
    )
    return method


@transaction.atomic
def delete_method(request, method: Method) -> None:
    """Delete a method; move the default on if it was the default.

    Refuse to delete the last multi-factor method while the policy requires multi-factor
    sign-in: the person would be locked out, or asked to register again at once.
    """
    user = method.user
    policy = get_policy(user)
    locked = Method.objects.select_for_update().filter(user=user)
    remaining = [m for m in locked if m.pk != method.pk and is_second_factor(m, policy)]
    if policy.mfa_required and is_second_factor(method, policy) and not remaining:
        raise MethodLocked(
            _(
                "This is your only way to complete a multi-factor sign-in, which your organization requires. Add another method first."
            )
        )
    method.delete()
    _ensure_default(user)
    record_security_event(
        request,
        user,
        SecurityEvent.Kind.METHOD_DELETED,
        f"{method.get_kind_display()}: {method.detail}",
    )


@transaction.atomic
def set_default(request, user, method: Method, channel: str) -> None:
    Method.objects.filter(user=user, is_default=True).update(is_default=False)
    Method.objects.filter(pk=method.pk).update(is_default=True, channel=channel)
    method.is_default, method.channel = True, channel
    option_label = next(
        (o.label for o in sign_in_options([method], get_policy(user)) if o.channel == channel),
        method.detail,
    )
    record_security_event(request, user, SecurityEvent.Kind.DEFAULT_CHANGED, option_label)


def _ensure_default(user) -> None:
    """Keep exactly one default among the sign-in-capable methods: the strongest one."""
    policy = get_policy(user)
    methods = list(Method.objects.select_for_update().filter(user=user))
    options = [o for o in sign_in_options(methods, policy) if o.method.kind != Method.Kind.EMAIL]
    if any(m.is_default for m in methods) or not options:
        return
    best = default_option(options, policy)
    # A phone keeps the channel it was proved with: registered by text, it is challenged by text.
    best = next(
        (o for o in options if (o.method, o.channel) == (best.method, best.method.channel)), best
    )
    Method.objects.filter(pk=best.method.pk).update(is_default=True, channel=best.channel)


def method_types_for(user, policy, counts: dict[str, int]) -> list[dict]:
    """Return the kinds the user may add now, with whether each is at its limit."""
    from security_info.methods import is_allowed

    rows = []
    for key, method_type in METHOD_TYPES.items():
        if not is_allowed(policy, key) or (user.is_staff and not method_type.staff_allowed):
            continue
        rows.append(
            {
                "type": method_type,
                "full": counts.get(key, 0) >= method_type.max_count,
            }
        )
    return rows


def can_add(user, key: str) -> str:
    """Return why the user cannot add this kind now, or "" when they can."""
    from security_info.methods import is_allowed

    policy = get_policy(user)
    method_type = METHOD_TYPES[key]
    if not is_allowed(policy, key) or (user.is_staff and not method_type.staff_allowed):
        return _("Your organization does not allow this method.")
    if key in Method.Kind.values:
        count = Method.objects.filter(user=user, kind=key).count()
        if count >= method_type.max_count:
            return _(
                "You already have the most of this method you can (%(max)s). Delete one first."
            ) % {"max": method_type.max_count}
    return ""
