"""Privileged accounts, and who may manage how they sign in.

An account with any admin access (staff or superuser) is privileged: whoever can reset its
methods, issue it a Temporary Access Pass or give it a password can become it. So, as in Entra
ID, helpdesk staff manage the authentication of ordinary users only; a privileged account's is
managed by a superuser or by someone given the "privileged authentication administrator"
permission. Roles themselves (staff, superuser, groups, permissions) only a superuser grants.
"""

from django.db.models import Q, QuerySet

PERMISSION_CODENAME = "manage_privileged_authentication"
PERMISSION = f"portal.{PERMISSION_CODENAME}"


def is_privileged(user) -> bool:
    return bool(user.is_staff or user.is_superuser)


def privileged_q(prefix: str = "") -> Q:
    """Match privileged users; `prefix` reaches them through a relation ("user__")."""
    return Q(**{f"{prefix}is_staff": True}) | Q(**{f"{prefix}is_superuser": True})


def manages_privileged(actor) -> bool:
    """Tell whether the actor may manage the authentication of privileged accounts."""
    return bool(actor.is_active and (actor.is_superuser or actor.has_perm(PERMISSION)))


def may_manage_authentication(actor, user) -> bool:
    """Tell whether the actor may manage the user's methods, passes and password."""
    return not is_privileged(user) or manages_privileged(actor)


def manageable(actor, queryset: QuerySet, prefix: str = "") -> QuerySet:
    """Narrow a queryset of users (or of rows reaching them through `prefix`) to those whose
    authentication the actor may manage."""
    if manages_privileged(actor):
        return queryset
    return queryset.exclude(privileged_q(prefix))
