"""The installed kinds of sign-in method, and what can be read of a user's methods through them.

Adding a kind is one class in its own package (`security_info/<kind>/kind.py`, see
`security_info.kinds`), its line in SecurityInfoConfig.method_kinds, and the kind's own views,
forms, templates and URL lines. Nothing here or elsewhere asks which kind something is: the kind
object answers.
"""

from typing import TYPE_CHECKING

from django.apps import apps
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from organizations.policies import authentication_policy
from portal.http import once_per_request
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
    return once_per_request(
        request, "security_methods", lambda: list(Method.objects.filter(user=request.user))
    )


def sign_in_options(methods, policy: "AuthenticationPolicy") -> list[SignInOption]:
    """Return every way the user can complete a multi-factor sign-in, strongest first."""
    options = [
        option for method in methods for option in kind_of(method).sign_in_options(method, policy)
    ]
    return sorted(options, key=lambda option: (option.strength, option.method.created_at))


def default_candidates(methods, policy: "AuthenticationPolicy") -> list[SignInOption]:
    """Return the options that may be the default (an email code never is)."""
    return [o for o in sign_in_options(methods, policy) if o.kind.can_be_default]


def default_option(
    options: list[SignInOption], policy: "AuthenticationPolicy"
) -> SignInOption | None:
    """Return the option a sign-in challenges first: the user's default unless the policy
    prefers the strongest."""
    if not options:
        return None
    if not policy.system_preferred:
        for option in options:
            if option.method.is_default and option.channel == option.method.channel:
                return option
    return options[0]


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


def addable(user: "User", policy: "AuthenticationPolicy", counts: dict[str, int]) -> list[dict]:
    """Return the kinds the user may add now, with whether each is at its limit."""
    return [
        {"type": kind, "full": counts.get(key, 0) >= kind.max_count}
        for key, kind in KINDS.items()
        if kind.add_url_name and kind.may_add(user, policy)
    ]


def can_add(user: "User", key: str) -> str:
    """Return why the user cannot add this kind now, or "" when they can."""
    kind = KINDS[key]
    if not kind.may_add(user, authentication_policy(user)):
        return _("Your organization does not allow this method.")
    if isinstance(kind, MethodKindBase):
        count = Method.objects.filter(user=user, kind=key).count()
        if count >= kind.max_count:
            return _(
                "You already have the most of this method you can (%(max)s). Delete one first."
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
