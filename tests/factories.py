"""Small factories for the suite: each makes one valid object, overridable by keyword."""

import itertools

from organizations.models import Membership, Organization
from portal.models import User

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def make_organization(**fields) -> Organization:
    n = next(_sequence)
    fields.setdefault("name", f"Organization {n}")
    fields.setdefault("slug", f"org-{n}")
    fields.setdefault("primary_domain", f"org{n}.example")
    return Organization.objects.create(**fields)


def make_user(email: str | None = None, *, organization=None, password=PASSWORD, **fields) -> User:
    email = email or f"user{next(_sequence)}@example.com"
    user = User.objects.create_user(email, password, **fields)
    if organization is not None:
        Membership.objects.create(user=user, organization=organization, kind=Membership.Kind.HOME)
    return user
