"""What the other apps may ask of organizations: named functions, never their models' queries.

Each answer about a user is kept on the user object, so one request asks the database once
however many places need it (the sign-in steps, sudo mode and the page all do).
"""

from typing import TYPE_CHECKING

from organizations.models import AuthenticationPolicy, Membership, Organization, PasswordPolicy

if TYPE_CHECKING:
    from portal.models import User


def home_organization(user: "User | None") -> Organization | None:
    """Return the organization that manages the user's account, if any."""
    if user is None or user.pk is None:
        return None
    if "_home_organization" not in user.__dict__:
        membership = (
            Membership.objects.home().filter(user=user).select_related("organization").first()
        )
        user.__dict__["_home_organization"] = membership.organization if membership else None
    return user.__dict__["_home_organization"]


def authentication_policy(user: "User | None") -> AuthenticationPolicy:
    """Return the policy of the user's home organization, or the defaults (unsaved)."""
    return _home_policy(user, AuthenticationPolicy)


def password_policy(user: "User | None") -> PasswordPolicy:
    """Return the password policy of the user's home organization, or the defaults (unsaved)."""
    return _home_policy(user, PasswordPolicy)


def _home_policy[P: AuthenticationPolicy | PasswordPolicy](
    user: "User | None", model: type[P]
) -> P:
    if user is None or user.pk is None:
        return model()
    key = f"_{model._meta.model_name}"
    if key not in user.__dict__:
        policy = model.objects.filter(
            organization__memberships__user=user,
            organization__memberships__kind=Membership.Kind.HOME,
        ).first()
        user.__dict__[key] = policy or model()
    return user.__dict__[key]


def organization_for_address(email: str, user: "User | None") -> Organization | None:
    """Return the organization behind a typed address: the account's home organization when
    there is an account, else the one whose primary domain the address is at."""
    organization = home_organization(user)
    if organization is not None:
        return organization
    domain = email.rpartition("@")[2]
    if not domain:
        return None
    return Organization.objects.filter(primary_domain__iexact=domain).order_by("pk").first()


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
