"""What the other apps ask of organizations: the home organization and its policies."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from organizations.models import (
    AuthenticationPolicy,
    Domain,
    Membership,
    Organization,
    PasswordPolicy,
)
from organizations.policies import (
    authentication_policy,
    home_organization,
    is_organization_address,
    organization_for_address,
    organization_with_policy,
    password_policy,
    session_policy,
)
from portal.models import User
from portal.sessions import SessionPolicy
from tests.factories import make_organization, make_user


def test_the_home_organization_is_the_one_that_manages_the_account(alice, northwind):
    assert home_organization(alice) == northwind
    assert home_organization(make_user("nobody@example.com")) is None
    assert home_organization(None) is None


def test_a_policy_of_the_home_organization_applies(alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    PasswordPolicy.objects.create(organization=northwind, min_length=20)
    assert authentication_policy(alice).mfa_required is False
    assert password_policy(alice).min_length == 20


def test_without_one_the_defaults_apply_and_nothing_is_saved(alice, charlie):
    assert authentication_policy(alice).pk is None
    assert authentication_policy(alice).mfa_required is True
    assert password_policy(charlie).min_length == 12
    assert password_policy(None).pk is None
    assert str(password_policy(None)) == "Default password policy"
    assert not AuthenticationPolicy.objects.exists()


def test_a_guest_organizations_policy_does_not_apply(alice):
    elsewhere = make_organization(name="Elsewhere")
    alice.memberships.create(organization=elsewhere, kind="guest")
    AuthenticationPolicy.objects.create(organization=elsewhere, mfa_required=False)
    assert authentication_policy(alice).mfa_required is True


def test_the_three_answers_are_one_query_then_none(alice, northwind, django_assert_num_queries):
    AuthenticationPolicy.objects.create(organization=northwind)
    PasswordPolicy.objects.create(organization=northwind)
    with django_assert_num_queries(1):
        for _ in range(2):
            home_organization(alice)
            authentication_policy(alice)
            password_policy(alice)
    later = User.objects.get(pk=alice.pk)  # the next request: a new user object
    with django_assert_num_queries(0):
        assert home_organization(later) == northwind
        assert authentication_policy(later).pk is not None
        assert password_policy(later).pk is not None


def fresh(user):
    """The user as the next request loads it (nothing kept on the object)."""
    return User.objects.get(pk=user.pk)


def test_every_change_to_a_policy_is_read_at_once(alice, northwind):
    policy = AuthenticationPolicy.objects.create(organization=northwind, mfa_required=True)
    assert authentication_policy(fresh(alice)).mfa_required is True
    policy.mfa_required = False
    policy.save()  # the admin's change form
    assert authentication_policy(fresh(alice)).mfa_required is False
    AuthenticationPolicy.objects.filter(pk=policy.pk).update(mfa_required=True)
    assert authentication_policy(fresh(alice)).mfa_required is True
    AuthenticationPolicy.objects.filter(pk=policy.pk).delete()  # the admin's bulk delete
    assert authentication_policy(fresh(alice)).pk is None
    AuthenticationPolicy.objects.bulk_create([AuthenticationPolicy(organization=northwind)])
    assert authentication_policy(fresh(alice)).pk is not None
    PasswordPolicy.objects.create(organization=northwind, min_length=30)
    assert password_policy(fresh(alice)).min_length == 30
    PasswordPolicy.objects.get().delete()
    assert password_policy(fresh(alice)).pk is None


def test_every_change_to_the_organization_or_membership_is_read_at_once(alice, northwind):
    assert home_organization(fresh(alice)).name == northwind.name
    northwind.name = "Northwind Traders"
    northwind.save()
    assert home_organization(fresh(alice)).name == "Northwind Traders"
    Organization.objects.filter(pk=northwind.pk).update(helpdesk_url="https://help.example/")
    assert home_organization(fresh(alice)).helpdesk_url == "https://help.example/"
    elsewhere = make_organization(name="Elsewhere")
    alice.memberships.update(kind="guest")
    assert home_organization(fresh(alice)) is None
    Membership.objects.create(user=alice, organization=elsewhere)
    assert home_organization(fresh(alice)) == elsewhere
    elsewhere.delete()  # its memberships go with it
    assert home_organization(fresh(alice)) is None
    Membership.objects.bulk_create([Membership(user=alice, organization=make_organization())])
    assert home_organization(fresh(alice)) is not None
    Membership.objects.filter(user=alice, kind="home").get().delete()
    assert home_organization(fresh(alice)) is None


def test_a_typed_address_belongs_to_the_organization_of_its_domain(alice, northwind, charlie):
    Domain.objects.create(organization=northwind, name="Northwind-Traders.Example")
    assert organization_for_address("alice@northwind.example") == northwind
    assert organization_for_address("nobody@NORTHWIND.example") == northwind
    assert organization_for_address("nobody@northwind-traders.example.") == northwind
    assert organization_for_address("nobody@elsewhere.example") is None
    assert organization_for_address("not an address") is None
    # Whether the address has an account plays no part: Charlie's home organization has no
    # domain, so his address gets the defaults, as an unknown one there would.
    assert organization_for_address(charlie.email) is None


def test_the_domains_of_an_organization(northwind):
    Domain.objects.create(organization=northwind, name="contoso.example")
    assert northwind.domain_names == ["northwind.example", "contoso.example"]
    assert is_organization_address(northwind, "a@mail.contoso.example")
    assert is_organization_address(northwind, "a@northwind.example")
    assert not is_organization_address(northwind, "a@notcontoso.example")
    assert not is_organization_address(None, "a@northwind.example")


def test_a_domain_belongs_to_one_organization(northwind):
    other = make_organization(name="Fabrikam")
    with pytest.raises(ValidationError):
        Domain(organization=other, name="NorthWind.example").full_clean()
    Domain.objects.create(organization=other, name="fabrikam.example")
    with pytest.raises(IntegrityError):
        Domain.objects.create(organization=northwind, name="Fabrikam.example")


def test_an_organization_comes_with_its_policy_or_the_defaults(northwind):
    organization, defaults = organization_with_policy(northwind.pk)
    assert (organization, defaults.pk, str(defaults)) == (
        northwind,
        None,
        "Default authentication policy",
    )
    policy = AuthenticationPolicy.objects.create(organization=northwind, reset_gates=2)
    assert organization_with_policy(northwind.pk) == (northwind, policy)
    organization, defaults = organization_with_policy(None)
    assert organization is None
    assert defaults.pk is None
    assert organization_with_policy(northwind.pk + 1000)[0] is None


def test_sessions_follow_the_site_unless_the_organization_says_otherwise(alice, settings):
    settings.SESSION_IDLE_MINUTES = 20
    assert session_policy(None) == SessionPolicy(
        idle_seconds=20 * 60,
        absolute_seconds=12 * 60 * 60,
        remember_offered=True,
        remembered_seconds=14 * 24 * 60 * 60,
    )
    assert session_policy(alice) == session_policy(None)


def test_an_organizations_session_limits_apply_to_its_people(alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind,
        session_idle_minutes=15,
        session_lifetime_hours=8,
        offer_keep_signed_in=False,
        keep_signed_in_days=7,
    )
    assert session_policy(alice) == SessionPolicy(
        idle_seconds=15 * 60,
        absolute_seconds=8 * 60 * 60,
        remember_offered=False,
        remembered_seconds=7 * 24 * 60 * 60,
    )
