"""How long a signed-in session lasts: idle, in all, and with "Keep me signed in"."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from portal import crypto
from portal.checks import check_session_settings
from portal.sessions import SESSION_TIMES_KEY
from security_info.models import TemporaryAccessPass
from tests.factories import PASSWORD

LOGIN_URL = "/accounts/login/"
PAGE = "/password/"  # any page for the signed-in
IDLE_MESSAGE = "You were signed out after 30 minutes without activity. Sign in again."


@pytest.fixture(autouse=True)
def _no_second_factor_asked(northwind):
    """Signing in lands on a page at once, with no method to register first."""
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )


@pytest.fixture
def now(time_machine):
    time_machine.move_to("2026-03-02 09:00+00:00", tick=False)
    return time_machine


def sign_in(client, *, remember=False, email="alice@northwind.example"):
    fields = {"login": email, "password": PASSWORD}
    if remember:
        fields["remember"] = "on"
    response = client.post(LOGIN_URL, fields)
    assert response.status_code == 302
    return client.get(response["Location"])  # the page that says "signed in"


def is_signed_in(client) -> bool:
    return SESSION_KEY in client.session


def session_cookie(client):
    """The cookie as the browser keeps it, with the age the sign-in gave it."""
    return client.cookies[settings.SESSION_COOKIE_NAME]


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def set_policy(organization, **fields) -> AuthenticationPolicy:
    policy, _created = AuthenticationPolicy.objects.update_or_create(
        organization=organization, defaults=fields
    )
    return policy


# The cookie ---------------------------------------------------------------------------------


def test_without_keep_me_signed_in_the_cookie_ends_with_the_browser(client, alice, now):
    sign_in(client)
    cookie = session_cookie(client)
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""


def test_keep_me_signed_in_keeps_the_cookie_for_fourteen_days(client, alice, now):
    sign_in(client, remember=True)
    assert session_cookie(client)["max-age"] == 14 * 24 * 60 * 60


def test_a_sign_in_that_never_asks_ends_with_the_browser_too(client, alice, now):
    TemporaryAccessPass.objects.create(
        user=alice,
        digest=crypto.digest("abcdefghjkmn", "temporary_pass"),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = client.post(
        "/accounts/temporary-pass/", {"email": "alice@northwind.example", "code": "abcdefghjkmn"}
    )
    assert response.status_code == 302
    assert is_signed_in(client)
    assert session_cookie(client)["max-age"] == ""


# The limits ---------------------------------------------------------------------------------


def test_a_session_idle_for_thirty_minutes_ends(client, alice, now):
    sign_in(client)
    now.shift(timedelta(minutes=29))
    assert client.get(PAGE).status_code == 200
    now.shift(timedelta(minutes=31))
    response = client.get(f"{PAGE}?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fpassword%2F%3Ftab%3D1"
    assert not is_signed_in(client)
    page = client.get(response["Location"])
    assert shown_messages(page) == [IDLE_MESSAGE]


def test_a_session_in_use_ends_twelve_hours_after_signing_in(client, alice, now):
    sign_in(client)
    for _ in range(12 * 2):
        now.shift(timedelta(minutes=29, seconds=59))
        assert client.get(PAGE).status_code == 200
    now.shift(timedelta(minutes=1))
    response = client.get(PAGE)
    assert response.status_code == 302
    assert not is_signed_in(client)
    assert shown_messages(client.get(response["Location"])) == [
        "You were signed out 12 hours after signing in. Sign in again."
    ]


def test_keep_me_signed_in_lifts_the_idle_limit_for_fourteen_days(client, alice, now):
    sign_in(client, remember=True)
    now.shift(timedelta(days=13, hours=23))
    assert client.get(PAGE).status_code == 200
    now.shift(timedelta(hours=2))
    response = client.get(PAGE)
    assert response.status_code == 302
    assert shown_messages(client.get(response["Location"])) == [
        "You were signed out 14 days after signing in. Sign in again."
    ]


def test_the_server_ends_the_session_whatever_the_browser_keeps(client, alice, now):
    sign_in(client)
    # Another browser replays the cookie, which never expires in a browser kept open.
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME]
    assert thief.get(PAGE).status_code == 200
    now.shift(timedelta(minutes=31))
    assert thief.get(PAGE).status_code == 302
    assert not Session.objects.exists()  # gone for every holder of the cookie
    assert client.get(PAGE).status_code == 302


def test_a_page_view_within_a_minute_saves_nothing(client, alice, now):
    sign_in(client)
    now.shift(50)
    assert settings.SESSION_COOKIE_NAME not in client.get(PAGE).cookies
    now.shift(20)
    assert settings.SESSION_COOKIE_NAME in client.get(PAGE).cookies  # the activity, noted


def test_a_session_from_before_the_limits_starts_its_clocks_now(client, alice, now):
    sign_in(client)
    session = client.session
    del session[SESSION_TIMES_KEY]
    session.save()
    now.shift(timedelta(hours=13))
    assert client.get(PAGE).status_code == 200
    now.shift(timedelta(minutes=31))
    assert client.get(PAGE).status_code == 302


# Organizations ------------------------------------------------------------------------------


def test_the_organizations_limits_apply(client, alice, northwind, now):
    set_policy(northwind, session_idle_minutes=10, session_lifetime_hours=2)
    sign_in(client)
    now.shift(timedelta(minutes=11))
    response = client.get(PAGE)
    assert response.status_code == 302
    assert shown_messages(client.get(response["Location"])) == [
        "You were signed out after 10 minutes without activity. Sign in again."
    ]
    sign_in(client)
    for _ in range(12):
        now.shift(timedelta(minutes=9, seconds=59))
        assert client.get(PAGE).status_code == 200
    now.shift(timedelta(minutes=1))
    assert client.get(PAGE).status_code == 302


def test_the_organization_sets_how_long_keep_me_signed_in_lasts(client, alice, northwind, now):
    set_policy(northwind, keep_signed_in_days=3)
    sign_in(client, remember=True)
    assert session_cookie(client)["max-age"] == 3 * 24 * 60 * 60
    now.shift(timedelta(days=3, minutes=1))
    assert client.get(PAGE).status_code == 302


def test_an_organization_that_does_not_offer_it_ignores_the_box(client, alice, northwind, now):
    set_policy(northwind, offer_keep_signed_in=False)
    page = sign_in(client, remember=True)
    assert session_cookie(client)["max-age"] == ""
    assert (
        "Your organization does not let browsers keep you signed in: you will be signed out "
        "when you close the browser."
    ) in shown_messages(page)
    now.shift(timedelta(minutes=31))
    assert client.get(PAGE).status_code == 302


def test_a_change_to_the_policy_reaches_sessions_already_open(client, alice, northwind, now):
    sign_in(client, remember=True)
    set_policy(northwind, offer_keep_signed_in=False)
    now.shift(timedelta(minutes=31))
    assert client.get(PAGE).status_code == 302


def test_the_sign_in_form_offers_the_box_as_the_site_does(client, db, settings):
    assert "Keep me signed in" in client.get(LOGIN_URL).content.decode()
    settings.SESSION_REMEMBER_OFFERED = False
    assert "Keep me signed in" not in client.get(LOGIN_URL).content.decode()


def test_a_box_the_site_does_not_offer_is_ignored(client, alice, northwind, settings):
    set_policy(northwind, offer_keep_signed_in=True)
    settings.SESSION_REMEMBER_OFFERED = False
    sign_in(client, remember=True)
    assert session_cookie(client)["max-age"] == ""


# What an ended session answers --------------------------------------------------------------


def test_a_form_sent_after_the_end_comes_back_to_its_page(client, alice, now):
    sign_in(client)
    now.shift(timedelta(minutes=31))
    response = client.post(PAGE, HTTP_REFERER="http://testserver/security-info/?x=1")
    assert response["Location"] == "/accounts/login/?next=%2Fsecurity-info%2F%3Fx%3D1"


@pytest.mark.parametrize("referer", ["", "https://evil.example/security-info/", "//evil.example/"])
def test_a_form_sent_from_elsewhere_does_not_come_back(client, alice, now, referer):
    sign_in(client)
    now.shift(timedelta(minutes=31))
    response = client.post(PAGE, HTTP_REFERER=referer)
    assert response["Location"] == "/accounts/login/"


def test_a_script_gets_401_with_the_message_as_json(client, alice, now):
    sign_in(client)
    now.shift(timedelta(minutes=31))
    response = client.post(
        "/security-info/passkeys/add/options/",
        "{}",
        content_type="application/json",
        HTTP_REFERER="http://testserver/security-info/passkeys/add/",
    )
    assert response.status_code == 401
    assert json.loads(response.content) == {
        "error": "signed_out",
        "message": IDLE_MESSAGE,
        "location": "/accounts/login/?next=%2Fsecurity-info%2Fpasskeys%2Fadd%2F",
    }
    assert not is_signed_in(client)


def test_a_public_page_is_shown_signed_out(client, alice, now):
    sign_in(client)
    now.shift(timedelta(minutes=31))
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert shown_messages(response) == [IDLE_MESSAGE]
    assert not is_signed_in(client)


# The settings -------------------------------------------------------------------------------


def test_a_policy_that_cannot_be_imported_stops_the_process(settings):
    settings.SESSION_POLICY = "organizations.policies.no_such_function"
    assert [error.id for error in check_session_settings(None)] == ["portal.E006"]


def test_sessions_without_an_age_must_end_with_the_browser(settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = False
    assert [error.id for error in check_session_settings(None)] == ["portal.E007"]
