"""The installed kinds of sign-in method, and what can be read of a user's methods through them.

Adding a kind is one class in its own package (`security_info/<kind>/kind.py`, see
`security_info.kinds`), its line in SecurityInfoConfig.method_kinds, and the kind's own views,
forms, templates and URL lines. Nothing here or elsewhere asks which kind something is: the kind
object answers.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.apps import apps
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.policies import authentication_policy
from portal.http import once_per_request
from security_info import cache
from security_info.kinds import Kind, MethodKindBase, SignInOption
from security_info.models import Method

if TYPE_CHECKING:
    from organizations.models import AuthenticationPolicy
    from portal.http import PortalRequest
    from portal.models import User


def _installed_kinds() -> dict[str, Kind]:
    # Read from the app's declaration, not imported here: the kinds' own views use this module.
    paths = apps.get_app_config("security_info").method_kinds  # type: ignore[attr-defined]
    return {kind.key: kind for kind in (import_string(path)() for path in paths)}


# In the order the Security info page lists them and the add list offers them.
KINDS: dict[str, Kind] = _installed_kinds()
METHOD_KINDS: dict[str, MethodKindBase] = {
    key: kind for key, kind in KINDS.items() if isinstance(kind, MethodKindBase)
}


def kind_of(method: Method) -> MethodKindBase:
    return METHOD_KINDS[method.kind]


def why_undeletable(method: Method, methods, policy: "AuthenticationPolicy") -> str:
    """Return why the method cannot be deleted now, or "" when it can: the last one that
    completes a multi-factor sign-in stays while the policy requires one (the person would be
    locked out, or asked to register again at once). `methods` are all of the user's."""
    if not (policy.mfa_required and kind_of(method).sign_in_options(method, policy)):
        return ""
    if any(m.pk != method.pk and kind_of(m).sign_in_options(m, policy) for m in methods):
        return ""
    return _(
        "This is your only way to complete a multi-factor sign-in, which your organization "
        "requires. Add another method first, then you can delete this one."
    )


def get_method_for_user(user: "User", pk: object, kinds: list[str] | None = None) -> Method:
    """Return the user's method, or 404 for anyone else's (and for a malformed id)."""
    methods = Method.objects.filter(user=user)
    if kinds:
        methods = methods.filter(kind__in=kinds)
    try:
        return get_object_or_404(methods, pk=int(pk))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise Http404 from None


def user_methods(request: "PortalRequest") -> list[Method]:
    """Return the signed-in user's methods, read once per request by the pages that only read
    (sudo mode's check and the page itself share it)."""
    return methods_of(request, request.user)


def methods_of(request: HttpRequest, user: "User") -> list[Method]:
    """Return the user's methods, read once per request by what only reads them: the sign-in
    steps (the second factor, then what registration still needs) and the pages."""
    return once_per_request(
        request,
        f"security_methods:{user.pk}",
        lambda: cache.of_user(user, "methods", lambda: list(Method.objects.filter(user=user))),
    )


def sign_in_options(methods, policy: "AuthenticationPolicy") -> list[SignInOption]:
    """Return every way the user can complete a multi-factor sign-in, strongest first."""
    options = [
        option for method in methods for option in kind_of(method).sign_in_options(method, policy)
    ]
    return sorted(options, key=lambda option: (option.strength, option.method.created_at))


def may_be_default(option: SignInOption, policy: "AuthenticationPolicy") -> bool:
    """Tell whether the option may be the default: its kind can be one (an email code never
    is) and the policy lets it."""
    return option.kind.can_be_default and policy.may_be_default(option.method.kind)


def default_candidates(methods, policy: "AuthenticationPolicy") -> list[SignInOption]:
    """Return the options that may be the default, strongest first."""
    return [o for o in sign_in_options(methods, policy) if may_be_default(o, policy)]


def default_option(
    options: list[SignInOption], policy: "AuthenticationPolicy"
) -> SignInOption | None:
    """Return the option a sign-in challenges first: the user's default, unless the policy
    prefers the strongest or no longer lets that kind be the default (then the strongest that
    may be one)."""
    if not options:
        return None
    if policy.system_preferred:
        return options[0]
    allowed = [option for option in options if may_be_default(option, policy)]
    for option in allowed:
        if option.method.is_default and option.channel == option.method.channel:
            return option
    return (allowed or options)[0]


def default_no_longer_allowed(methods, policy: "AuthenticationPolicy") -> Method | None:
    """Return the user's chosen default if the policy no longer lets its kind be the default
    (the sign-in then asks for another), else None."""
    if policy.system_preferred:
        return None
    chosen = next((m for m in methods if m.is_default), None)
    return chosen if chosen and not policy.may_be_default(chosen.kind) else None


def second_factor_methods(
    user: "User", policy: "AuthenticationPolicy | None" = None
) -> list[Method]:
    """Return the user's methods that can complete a multi-factor sign-in."""
    policy = policy or authentication_policy(user)
    return [m for m in Method.objects.filter(user=user) if kind_of(m).is_second_factor(policy)]


def has_second_factor(request: "PortalRequest") -> bool:
    """Tell whether the signed-in user has a method that completes a multi-factor sign-in
    (settings.SUDO_HAS_SECOND_FACTOR: sudo mode asks)."""
    policy = authentication_policy(request.user)
    return any(kind_of(m).is_second_factor(policy) for m in user_methods(request))


def addable(
    request: "PortalRequest", policy: "AuthenticationPolicy", counts: dict[str, int]
) -> list[dict]:
    """Return the kinds the signed-in user may add now, and here, with whether each is at its
    limit."""
    return [
        {"type": kind, "full": counts.get(kind.key, 0) >= kind.max_count}
        for kind in usable_at(request, KINDS.values())
        if kind.add_url_name and kind.may_add(request.user, policy)
    ]


def usable_at[K: Kind](request: HttpRequest, kinds: Iterable[K]) -> list[K]:
    """Keep the kinds that can be set up at the address this request came to: the pages
    offer nothing that cannot work there (a passkey at an IP address)."""
    return [kind for kind in kinds if kind.works_at(request)]


def can_add(user: "User", key: str) -> str:
    """Return why the user cannot add this kind now, or "" when they can."""
    kind = KINDS[key]
    if not kind.may_add(user, authentication_policy(user)):
        return _("Your organization does not allow this method.")
    if isinstance(kind, MethodKindBase):
        count = Method.objects.filter(user=user, kind=key).count()
        if count >= kind.max_count:
            return ngettext(
                "You can have only %(max)s of this method, and you have it. Delete it first.",
                "You can have only %(max)s of this method, and you have them all. Delete one first.",
                kind.max_count,
            ) % {"max": kind.max_count}
    return ""


def setup_choices(policy: "AuthenticationPolicy") -> list[Kind]:
    """The kinds "Keep your account secure" offers: allowed second factors, strongest first."""
    choices = [
        kind
        for kind in METHOD_KINDS.values()
        if kind.add_url_name and kind.completes_sign_in and kind.is_allowed(policy)
    ]
    return sorted(choices, key=lambda kind: kind.strength)
