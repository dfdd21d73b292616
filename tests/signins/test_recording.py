"""Every sign-in attempt becomes one SignInEvent, whatever its outcome."""

import pytest

from organizations.models import AuthenticationPolicy
from signins.models import SignInEvent
from tests.factories import PASSWORD

CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
Result, Reason, App = SignInEvent.Result, SignInEvent.Reason, SignInEvent.App


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(
        "/accounts/login/",
        {"login": email, "password": password, **extra},
        HTTP_USER_AGENT=CHROME_ON_WINDOWS,
        REMOTE_ADDR="81.2.69.160",
    )


def only_event() -> SignInEvent:
    events = list(SignInEvent.objects.all())
    assert len(events) == 1, events
    return events[0]


def test_a_success_is_recorded_with_where_it_came_from(client, alice):
    sign_in(client, "alice@northwind.example")
    event = only_event()
    assert (event.user, event.result, event.reason) == (alice, Result.SUCCESS, Reason.NONE)
    assert (event.app, event.method) == (App.PORTAL, "password")
    assert event.ip == "81.2.69.160"
    assert event.country == "GB"
    assert event.browser.startswith("Chrome 131")
    assert event.os == "Windows 10"
    assert event.device == "desktop"
    assert event.user_agent == CHROME_ON_WINDOWS


def test_a_wrong_password_is_recorded_against_the_account(client, alice):
    sign_in(client, "alice@northwind.example", "wrong")
    event = only_event()
    assert (event.user, event.result, event.reason) == (
        alice,
        Result.FAILURE,
        Reason.WRONG_PASSWORD,
    )


def test_an_unknown_account_is_recorded_without_creating_a_user(client, db):
    sign_in(client, "Nobody@Northwind.example", "whatever")
    event = only_event()
    assert event.user is None
    assert event.email == "nobody@northwind.example"
    assert (event.result, event.reason) == (Result.FAILURE, Reason.UNKNOWN_ACCOUNT)


def test_a_disabled_account_is_recorded(client, alice):
    alice.is_active = False
    alice.save()
    sign_in(client, "alice@northwind.example")
    event = only_event()
    assert (event.user, event.result, event.reason) == (
        alice,
        Result.FAILURE,
        Reason.INACTIVE_ACCOUNT,
    )


def test_a_rate_limited_attempt_is_recorded(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_failed": "5/m/ip"}
    for _ in range(5):
        sign_in(client, "alice@northwind.example", "wrong")
    sign_in(client, "alice@northwind.example")
    last = SignInEvent.objects.first()
    assert (last.user, last.result, last.reason) == (alice, Result.FAILURE, Reason.RATE_LIMITED)
    assert SignInEvent.objects.count() == 6


def test_a_flood_from_one_address_is_turned_away_and_recorded(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "2/m/ip"}
    for _ in range(2):
        sign_in(client, "someone@northwind.example", "x")
    response = sign_in(client, "someone@northwind.example", "x")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert b"Too many attempts" in response.content
    assert SignInEvent.objects.first().reason == Reason.RATE_LIMITED


def test_a_flood_with_a_garbage_address_is_recorded_cleanly(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "1/m/ip"}
    sign_in(client, "someone@northwind.example", "x")
    response = sign_in(client, "evil\x00@northwind.example\x07", "x")
    assert response.status_code == 429
    assert SignInEvent.objects.first().email == "evil@northwind.example"


def test_a_sign_in_on_the_way_to_the_admin_counts_as_the_admin_app(client, admin_user, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    sign_in(client, "admin@northwind.example", next="/admin/")
    assert only_event().app == App.ADMIN
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_goes_through_the_portal_sign_in(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_client_address_is_read_behind_the_trusted_proxy(client, alice, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client.post(
        "/accounts/login/",
        {"login": "alice@northwind.example", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="62.30.112.10",
    )
    event = only_event()
    assert (event.ip, event.country) == ("62.30.112.10", "GB")


def test_a_forged_forwarded_header_is_ignored_without_a_proxy(client, alice):
    client.post(
        "/accounts/login/",
        {"login": "alice@northwind.example", "password": PASSWORD},
        REMOTE_ADDR="81.2.69.160",
        HTTP_X_FORWARDED_FOR="8.8.8.8",
    )
    assert only_event().ip == "81.2.69.160"


@pytest.mark.parametrize("user_agent", ["", "curl/8.5.0", "\x00\xff\x1b" * 400])
def test_odd_user_agents_are_recorded_without_failing(client, alice, user_agent):
    client.post(
        "/accounts/login/",
        {"login": "alice@northwind.example", "password": PASSWORD},
        HTTP_USER_AGENT=user_agent,
    )
    event = only_event()
    assert event.result == Result.SUCCESS
    assert len(event.user_agent) <= 512
    assert "\x00" not in event.user_agent
