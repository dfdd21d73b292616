"""Signing in and out with email and password through allauth, as the portal configures it."""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from myaccount import settings as project_settings
from myaccount.adapter import AccountAdapter
from organizations.models import AuthenticationPolicy
from portal.authentication import LoginStage
from portal.models import User
from tests.factories import PASSWORD

LOGIN_URL = "/accounts/login/"


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN_URL, {"login": email, "password": password, **extra})


def test_it_sends_anonymous_visitors_to_the_sign_in_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_sign_in_page_is_ours_and_offers_a_password_reset(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert b'<html lang="en"' in response.content
    assert b"<main" in response.content
    assert b"Forgot my password" in response.content
    assert b"sign up" not in response.content.lower()


def test_it_signs_in_with_email_and_password(client, alice):
    response = sign_in(client, "alice@northwind.example")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_the_email_is_not_case_sensitive(client, alice):
    response = sign_in(client, "  ALICE@Northwind.Example ")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_wrong_password_and_an_unknown_account_look_the_same(client, alice):
    wrong = sign_in(client, "alice@northwind.example", "not her password")
    unknown = sign_in(client, "nobody@northwind.example", "not her password")
    assert wrong.status_code == unknown.status_code == 200
    assert SESSION_KEY not in client.session
    wrong_errors = wrong.context["form"].non_field_errors()
    assert wrong_errors == unknown.context["form"].non_field_errors()
    assert "not correct" in str(wrong_errors)


def test_a_disabled_account_cannot_sign_in(client, alice):
    alice.is_active = False
    alice.save()
    response = sign_in(client, "alice@northwind.example")
    assert SESSION_KEY not in client.session
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example"],
)
def test_next_never_leaves_the_site(client, alice, next_url):
    response = sign_in(client, "alice@northwind.example", next=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_next_on_the_site_is_honoured(client, alice):
    response = sign_in(client, "alice@northwind.example", next="/admin/")
    assert response["Location"] == "/admin/"


def test_signup_is_closed(client, db):
    response = client.get("/accounts/signup/")
    assert b"closed" in response.content.lower()
    response = client.post(
        "/accounts/signup/",
        {"email": "mallory@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="mallory@example.com").exists()


def test_sign_out_needs_a_post(alice_client):
    alice_client.get("/accounts/logout/")
    assert SESSION_KEY in alice_client.session
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert SESSION_KEY not in alice_client.session


def test_sign_out_refuses_a_forged_post(alice, client):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert SESSION_KEY in client.session


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client, alice):
    # The smart lockout (tests/security_info/test_lockout.py), not allauth's per-account limit.
    for _ in range(10):
        sign_in(client, "alice@northwind.example", "wrong password")
    response = sign_in(client, "alice@northwind.example")  # even the right one, for now
    assert SESSION_KEY not in client.session
    assert "temporarily locked" in str(response.context["form"].non_field_errors())


def test_passwords_are_hashed_with_argon2_outside_the_suite():
    # The suite swaps in a fast hasher; the configured first hasher is what production uses.
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.PASSWORD_HASHERS != project_settings.PASSWORD_HASHERS


@pytest.mark.parametrize("url", ["/accounts/email/", "/accounts/confirm-email/"])
def test_users_cannot_manage_their_email_addresses(alice_client, url):
    assert alice_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/reauthenticate/",
        "/accounts/reauthenticate/code/",
        "/accounts/reauthenticate/code/confirm/",
    ],
)
def test_re_verifying_is_sudo_modes_page_not_allauths(alice_client, url):
    assert alice_client.get(url).status_code == 404


# The stages after the password -----------------------------------------------------------

STAGES_SEEN: list[str] = []


class RecordingStage(LoginStage):
    """A stage that only notes that it ran, and for whom."""

    key = "recording"

    def handle(self):
        STAGES_SEEN.append(self.login.user.email)
        return None, True


def test_the_adapter_runs_the_stages_of_the_settings_in_their_order():
    assert AccountAdapter().get_login_stages() == [
        "security_info.stages.RememberedBrowserStage",
        "security_info.stages.SecondFactorStage",
        "portal.stages.InterruptsStage",
    ]


def test_a_stage_listed_in_the_settings_takes_part_in_every_sign_in(client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    STAGES_SEEN.clear()
    with override_settings(
        SIGN_IN_STAGES=[*settings.SIGN_IN_STAGES, "tests.myaccount.test_sign_in.RecordingStage"]
    ):
        response = sign_in(client, "alice@northwind.example")
    assert response["Location"] == "/"
    assert STAGES_SEEN == ["alice@northwind.example"]


def test_a_wrong_password_never_reaches_the_stages(client, alice):
    STAGES_SEEN.clear()
    with override_settings(SIGN_IN_STAGES=["tests.myaccount.test_sign_in.RecordingStage"]):
        sign_in(client, "alice@northwind.example", "wrong password")
    assert STAGES_SEEN == []


def test_a_password_sign_in_takes_five_queries(client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    sign_in(client, alice.email)  # fills the cache with the organization and methods
    client.logout()
    with CaptureQueriesContext(connection) as captured:
        response = sign_in(client, alice.email)
    assert response.status_code == 302
    assert response["Location"] == "/"
    statements = [query["sql"].split(" ")[0] for query in captured.captured_queries]
    # The account, once (allauth's password check uses the one the adapter found); its last
    # sign-in; the event; the session, inserted once with the response, with its savepoint.
    assert statements == ["SELECT", "UPDATE", "INSERT", "SAVEPOINT", "INSERT", "RELEASE"]


def test_the_session_key_changes_at_sign_in_and_the_old_session_ends(client, alice):
    client.get(LOGIN_URL)
    session = client.session
    session["before"] = "kept"
    session.save()
    before = session.session_key
    sign_in(client, alice.email)
    after = client.session
    assert after.session_key != before
    assert after["before"] == "kept"
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after.session_key).exists()
