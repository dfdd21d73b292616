"""What the other apps may ask of organizations: named functions, never their models' queries.

A user's home organization and its two policies are one answer, read from the cache (or in one
query) and kept on the user object, so a request asks for it once however many places need
it (the sign-in steps, sudo mode, the top bar and the page all do).
"""

from typing import TYPE_CHECKING, NamedTuple

from django.db.models import Q

from organizations.models import AuthenticationPolicy, Membership, Organization, PasswordPolicy
from portal.caching import cached
from portal.sessions import SessionPolicy

if TYPE_CHECKING:
    from portal.models import User


class Home(NamedTuple):
    """A user's home organization and its policies (None: it has none, the defaults apply)."""

    organization: Organization | None
    authentication_policy: AuthenticationPolicy | None
    password_policy: PasswordPolicy | None


def home(user: "User") -> Home:
    """Return the user's home organization and its policies: from the cache, where every change
    to an organization, policy or the user's memberships refreshes it (portal.caching), else
    in one query."""
    if "_home" not in user.__dict__:
        user.__dict__["_home"] = cached(
            f"home:{user.pk}", lambda: _read_home(user), ["organizations", f"home:{user.pk}"]
        )
    return user.__dict__["_home"]


def _read_home(user: "User") -> Home:
    membership = (
        Membership.objects.home()
        .filter(user=user)
        .select_related("organization__authentication_policy", "organization__password_policy")
        .first()
    )
    if membership is None:
        return Home(None, None, None)
    organization = membership.organization
    return Home(
        organization,
        getattr(organization, "authentication_policy", None),
        getattr(organization, "password_policy", None),
    )


def home_organization(user: "User | None") -> Organization | None:
    """Return the organization that manages the user's account, if any."""
    if user is None or user.pk is None:
        return None
    return home(user).organization


def authentication_policy(user: "User | None") -> AuthenticationPolicy:
    """Return the policy of the user's home organization, or the defaults (unsaved)."""
    return _home_policy(user, AuthenticationPolicy)


def session_policy(user: "User | None") -> SessionPolicy:
    """Return how long the user's sessions last: their home organization's choices over the
    site's defaults (settings.SESSION_POLICY names this)."""
    return authentication_policy(user).session_policy()


def password_policy(user: "User | None") -> PasswordPolicy:
    """Return the password policy of the user's home organization, or the defaults (unsaved)."""
    return _home_policy(user, PasswordPolicy)


def password_policy_at(email: str) -> PasswordPolicy:
    """Return the password policy for a typed address that has no account: its domain's
    organization's, or the defaults (unsaved)."""
    organization = organization_for_address(email)
    policy = (
        PasswordPolicy.objects.filter(organization=organization).first() if organization else None
    )
    return policy or PasswordPolicy()


def _home_policy[P: AuthenticationPolicy | PasswordPolicy](
    user: "User | None", model: type[P]
) -> P:
    if user is None or user.pk is None:
        return model()
    found = home(user)
    policy = found.authentication_policy if model is AuthenticationPolicy else found.password_policy
    return policy or model()  # type: ignore[return-value]


def organization_for_address(email: str) -> Organization | None:
    """Return the organization whose domain (primary or additional) a typed address is at.

    Whether the address has an account plays no part, so the answer (and the policy that
    follows from it) is the same for a real address and an unknown one. An address at nobody's
    domain gets the default policy either way.
    """
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return None
    return (
        Organization.objects.filter(Q(primary_domain__iexact=domain) | Q(domains__name=domain))
        .order_by("pk")
        .first()
    )


def is_organization_address(organization: Organization | None, email: str) -> bool:
    """Tell whether the address is at one of the organization's domains or their subdomains."""
    if organization is None:
        return False
    domain = email.rpartition("@")[2].casefold()
    return any(domain == d or domain.endswith(f".{d}") for d in organization.domain_names)


def organization_with_policy(pk: int | None) -> tuple[Organization | None, AuthenticationPolicy]:
    """Return the organization with this id, if it still exists, and its policy (or defaults)."""
    organization = (
        Organization.objects.select_related("authentication_policy").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if organization is None:
        return None, AuthenticationPolicy()
    try:
        return organization, organization.authentication_policy
    except AuthenticationPolicy.DoesNotExist:
        return organization, AuthenticationPolicy()


def admin_addresses(user: "User") -> list[str]:
    """Where alerts about the user's account go: the active staff whose home organization is
    the user's, or, for someone without one (or an organization without staff), the active
    superusers. The user themself is left out."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415 (the user model's app loads after this one)

    users = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)
    organization = home_organization(user)
    staff = (
        users.filter(
            is_staff=True,
            memberships__organization=organization,
            memberships__kind=Membership.Kind.HOME,
        )
        if organization
        else users.none()
    )
    chosen = staff if staff.exists() else users.filter(is_superuser=True)
    return sorted({email for email in chosen.values_list("email", flat=True) if email})
