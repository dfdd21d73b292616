"""Passwords in the admin: the organization's policy, and resetting or unlocking a user."""

import logging
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.test import Client

from organizations.models import AuthenticationPolicy, PasswordPolicy
from portal.models import User
from security_info.models import Method
from security_info.password import passwords
from security_info.password.models import Lockout, PasswordHistory
from signins.models import SecurityEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, make_app_password

USERS = "/admin/portal/user/"
SHOWN = re.compile(
    r'<output class="shown-secret-value" id="temporary-password"[^>]*>(.+?)</output>'
)
GROUP = re.compile(r'<span class="shown-secret-group">([^<]+)</span>')
UNAMBIGUOUS = re.compile(r"[^0Oo1lIi]+")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def act(admin_client, action, *users):
    return admin_client.post(
        USERS,
        {"action": action, "_selected_action": [user.pk for user in users]},
        follow=True,
    )


def reset(admin_client, user, **kwargs):
    """Confirm "Reset password" on the user's page."""
    return admin_client.post(f"{USERS}{user.pk}/password/", **kwargs)


def shown_password(response) -> str | None:
    match = SHOWN.search(response.content.decode())
    return "".join(GROUP.findall(match.group(1))) if match else None


# The password policy on the organization ---------------------------------------------------


def organization_form(northwind, **policy) -> dict:
    fields = {
        "name": northwind.name,
        "slug": northwind.slug,
        "primary_domain": northwind.primary_domain,
        "created_at_0": "2025-01-02",
        "created_at_1": "10:00",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
        "authentication_policy-TOTAL_FORMS": "0",
        "authentication_policy-INITIAL_FORMS": "0",
        "password_policy-TOTAL_FORMS": "1",
        "password_policy-INITIAL_FORMS": "0",
    }
    defaults = {
        "min_length": "12",
        "max_length": "256",
        "history_count": "1",
        "expiry_days": "0",
        "lockout_threshold": "10",
        "lockout_seconds": "60",
        "min_character_classes": "0",
        "min_score": "3",
    }
    return fields | {f"password_policy-0-{k}": v for k, v in (defaults | policy).items()}


def test_the_organization_page_shows_the_password_policy_with_help(admin_client, northwind):
    html = admin_client.get(f"/admin/organizations/organization/{northwind.pk}/change/").content
    html = html.decode()
    for text in [
        "What a password must look like",
        "Smart lockout",
        "0 allows reusing any.",
        "One per line",
        "0: passwords never expire.",
        'name="password_policy-0-min_length"',
        "3 takes any three of the four.",
        '<option value="3" selected>Strong</option>',
    ]:
        assert text in html


def test_an_admin_sets_the_password_policy(admin_client, northwind):
    response = admin_client.post(
        f"/admin/organizations/organization/{northwind.pk}/change/",
        organization_form(
            northwind,
            min_length="14",
            require_digit="on",
            banned_words="Northwind\nContoso",
            expiry_days="90",
        ),
    )
    assert response.status_code == 302
    policy = PasswordPolicy.objects.get(organization=northwind)
    assert (policy.min_length, policy.require_digit, policy.expiry_days) == (14, True, 90)
    assert policy.banned_word_list == ["northwind", "contoso"]


def test_an_admin_asks_for_three_kinds_of_character_and_a_very_strong_password(
    admin_client, northwind
):
    response = admin_client.post(
        f"/admin/organizations/organization/{northwind.pk}/change/",
        organization_form(northwind, min_character_classes="3", min_score="4"),
    )
    assert response.status_code == 302
    policy = PasswordPolicy.objects.get(organization=northwind)
    assert (policy.min_character_classes, policy.min_score) == (3, 4)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_character_classes", "5", "Ensure this value is less than or equal to 4."),
        ("min_character_classes", "-1", "Ensure this value is greater than or equal to 0."),
        ("min_score", "5", "Select a valid choice. 5 is not one of the available choices."),
        (
            "min_score",
            "strong",
            "Select a valid choice. strong is not one of the available choices.",
        ),
    ],
)
def test_impossible_kinds_or_strengths_are_refused(admin_client, northwind, field, value, message):
    response = admin_client.post(
        f"/admin/organizations/organization/{northwind.pk}/change/",
        organization_form(northwind, **{field: value}),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PasswordPolicy.objects.exists()


def test_a_minimum_above_the_maximum_is_refused_clearly(admin_client, northwind):
    response = admin_client.post(
        f"/admin/organizations/organization/{northwind.pk}/change/",
        organization_form(northwind, min_length="40", max_length="20"),
    )
    assert response.status_code == 200
    assert "The minimum cannot be above the maximum." in response.content.decode()
    assert not PasswordPolicy.objects.exists()


def test_out_of_range_values_are_refused(admin_client, northwind):
    response = admin_client.post(
        f"/admin/organizations/organization/{northwind.pk}/change/",
        organization_form(northwind, min_length="4", lockout_threshold="1"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ensure this value is greater than or equal to 8." in html
    assert "Ensure this value is greater than or equal to 3." in html
    assert not PasswordPolicy.objects.exists()


# Reset password (temporary) ----------------------------------------------------------------


def test_a_temporary_password_is_shown_once_and_must_be_changed(
    admin_client, admin_user, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reset(admin_client, alice)
    temporary = shown_password(response)
    assert temporary is not None
    assert re.fullmatch(r"[A-Za-z0-9]{16}", temporary)
    assert UNAMBIGUOUS.fullmatch(temporary)
    html = response.content.decode()
    assert "They must choose their own password when they sign in with this one." in html
    assert "no-store" in response["Cache-Control"]
    assert "messages" not in response.cookies  # never in a cookie
    assert temporary not in str(admin_client.session.items())  # nor in the session
    alice.refresh_from_db()
    assert alice.check_password(temporary)
    assert alice.must_change_password
    assert PasswordHistory.objects.filter(user=alice).count() == 1
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.actor) == (SecurityEvent.Kind.PASSWORD_RESET, admin_user)
    assert temporary not in admin_client.get(USERS).content.decode()
    assert temporary not in admin_client.get(f"{USERS}{alice.pk}/change/").content.decode()
    assert temporary not in admin_client.get("/admin/admin/logentry/").content.decode()


def test_the_user_signs_in_with_it_and_must_choose_their_own(admin_client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    temporary = shown_password(reset(admin_client, alice))
    user_client = Client()
    user_client.post("/accounts/login/", {"login": alice.email, "password": temporary})
    assert user_client.get("/")["Location"] == "/password/"
    page = user_client.get("/password/").content.decode()
    assert "Your administrator gave you a temporary password." in page


def test_the_old_password_and_sessions_stop_working(admin_client, alice):
    alice_client = Client()
    alice_client.force_login(alice)
    reset(admin_client, alice)
    alice.refresh_from_db()
    assert not alice.check_password(PASSWORD)
    assert alice_client.get("/")["Location"] == "/accounts/login/?next=/"


def test_the_temporary_password_follows_a_strict_policy(admin_client, alice, northwind):
    PasswordPolicy.objects.create(
        organization=northwind,
        min_length=20,
        require_lowercase=True,
        require_uppercase=True,
        require_digit=True,
        require_symbol=True,
    )
    temporary = shown_password(reset(admin_client, alice))
    assert len(temporary) == 20
    assert any(not c.isalnum() for c in temporary)
    assert any(c.isdigit() for c in temporary)


def test_the_temporary_password_has_all_four_kinds_when_the_policy_asks_for_four(
    admin_client, alice, northwind
):
    PasswordPolicy.objects.create(organization=northwind, min_character_classes=4, min_score=4)
    for _attempt in range(5):  # each is random: a few of them, to be sure of the rule
        temporary = shown_password(reset(admin_client, alice))
        assert temporary is not None
        assert any(not c.isalnum() for c in temporary)


def test_only_one_user_at_a_time_gets_a_temporary_password(admin_client, alice, bob):
    old_hashes = {alice.password, bob.password}
    response = act(admin_client, "reset_temporary_password", alice, bob)
    assert shown_password(response) is None
    assert "Choose one user" in response.content.decode()
    assert set(
        User.objects.filter(pk__in=[alice.pk, bob.pk]).values_list("password", flat=True)
    ) == (old_hashes)
    assert not User.objects.filter(must_change_password=True).exists()
    assert not SecurityEvent.objects.exists()


def test_the_list_action_leads_to_the_users_confirmation(admin_client, alice):
    response = admin_client.post(
        USERS, {"action": "reset_temporary_password", "_selected_action": [alice.pk]}
    )
    assert response["Location"] == f"{USERS}{alice.pk}/password/"
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_user_pages_reset_link_leads_to_a_confirmation_that_changes_nothing(
    admin_client, alice
):
    make_app_password(alice, "Mail")
    make_app_password(alice, "Calendar")
    page = admin_client.get(f"{USERS}{alice.pk}/change/").content.decode()
    assert 'href="../password/"' in page
    response = admin_client.get(f"{USERS}{alice.pk}/password/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "they are signed out everywhere" in html
    assert "Their 2 app passwords stop working." in html
    assert "They must choose their own password" in html
    assert f'href="{USERS}{alice.pk}/change/"' in html  # the breadcrumb and Cancel
    assert shown_password(response) is None
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not alice.must_change_password
    assert not SecurityEvent.objects.exists()


def test_the_password_is_never_logged_nor_in_the_address(admin_client, alice, caplog):
    caplog.set_level(logging.DEBUG)
    response = reset(admin_client, alice)
    temporary = shown_password(response)
    assert temporary is not None
    assert temporary not in caplog.text
    assert temporary not in response.request["PATH_INFO"]
    assert temporary not in str(LogEntry.objects.values_list("change_message", flat=True))


def test_an_admin_resets_their_own_password_on_their_password_page(admin_client, admin_user):
    before = admin_user.password
    response = reset(admin_client, admin_user, follow=True)
    assert shown_password(response) is None
    assert "Change your own password on your Password page" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.password == before


def test_an_unknown_user_is_not_found(admin_client, db):
    assert admin_client.get(f"{USERS}999999/password/").status_code == 404
    assert admin_client.post(f"{USERS}abc/password/").status_code == 404


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {"min_length": 20, "require_symbol": True, "require_digit": True},
        {"min_character_classes": 4, "min_score": 4},
        {"min_length": 10, "max_length": 10},
    ],
)
def test_temporary_passwords_have_no_look_alikes_and_pass_the_policy(alice, northwind, policy):
    PasswordPolicy.objects.create(organization=northwind, **policy)
    for _attempt in range(20):
        temporary = passwords.temporary_password(alice)
        assert UNAMBIGUOUS.fullmatch(temporary)
        validate_password(temporary, alice)


# Unlock and re-registration ----------------------------------------------------------------


def test_unlock_ends_the_lockouts_of_the_chosen_users(admin_client, alice, bob):
    Lockout.objects.create(user=alice, familiar=False, failures=10, streak=2)
    Lockout.objects.create(user=alice, familiar=True, failures=3)
    Lockout.objects.create(user=bob, familiar=False, failures=10)
    response = act(admin_client, "unlock", alice)
    assert "1 account unlocked." in response.content.decode()
    assert not Lockout.objects.filter(user=alice).exists()
    assert Lockout.objects.filter(user=bob).exists()


def test_unlocking_someone_not_locked_says_so(admin_client, alice):
    assert "0 accounts unlocked." in act(admin_client, "unlock", alice).content.decode()


def test_require_reregistration_removes_the_methods(admin_client, alice, bob):
    add_authenticator(alice)
    add_authenticator(bob)
    response = act(admin_client, "require_reregistration", alice)
    assert "1 user will register their methods again" in response.content.decode()
    assert not Method.objects.filter(user=alice).exists()
    assert Method.objects.filter(user=bob).exists()


def test_the_user_page_shows_the_password_dates_and_flag(admin_client, alice):
    html = admin_client.get(f"{USERS}{alice.pk}/change/").content.decode()
    assert "Password last changed" in html
    assert 'name="must_change_password"' in html
    assert 'name="password_changed_at"' not in html


def test_people_who_are_not_staff_cannot_reset_anyone(alice_client, bob):
    response = alice_client.post(
        USERS, {"action": "reset_temporary_password", "_selected_action": [bob.pk]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    bob.refresh_from_db()
    assert not bob.must_change_password


def test_the_admins_change_password_form_cannot_set_a_chosen_password(client, admin_user, alice):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/portal/user/{alice.pk}/password/",
        {"password1": "another long passphrase", "password2": "another long passphrase"},
    )
    alice.refresh_from_db()
    assert not alice.check_password("another long passphrase")
    assert alice.must_change_password  # what was posted was the confirmation: a temporary one
    assert shown_password(response) is not None
