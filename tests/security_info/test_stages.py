"""Remembering a browser after a multi-factor sign-in (security_info.stages)."""

import pytest
from django.core import signing

from organizations.models import AuthenticationPolicy
from security_info.stages import TRUST_COOKIE, TRUST_SALT
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator

VERIFY_URL = "/accounts/verify/"


def post_password(client, email="alice@northwind.example"):
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


@pytest.fixture
def remembering(northwind):
    AuthenticationPolicy.objects.create(organization=northwind, remember_browser_days=7)


def remembered_cookie(client, user):
    """Sign in with an authenticator app, ticking "remember"; return the cookie, signed out."""
    _method, app = add_authenticator(user)
    post_password(client, user.email)
    response = client.post(VERIFY_URL, {"code": app.now(), "remember": "1"})
    client.post("/accounts/logout/")
    return response.cookies[TRUST_COOKIE]


def test_the_cookie_shows_nothing_of_the_password_hash(client, alice, remembering):
    cookie = remembered_cookie(client, alice)
    value = signing.loads(cookie.value, salt=TRUST_SALT)
    assert set(value) == {"user", "account"}
    for start in range(len(alice.password) - 5):
        assert alice.password[start : start + 6] not in cookie.value
        assert alice.password[start : start + 6] not in str(value)


def test_the_cookie_is_for_the_server_only(client, alice, remembering, settings):
    settings.SESSION_COOKIE_SECURE = True
    cookie = remembered_cookie(client, alice)
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 7 * 24 * 60 * 60


def test_over_plain_http_in_development_the_cookie_works_too(client, alice, remembering, settings):
    settings.SESSION_COOKIE_SECURE = False
    assert not remembered_cookie(client, alice)["secure"]
    assert post_password(client)["Location"] == "/"


def test_a_new_address_forgets_the_browser(client, alice, remembering):
    remembered_cookie(client, alice)
    alice.email = "alice.archer@northwind.example"
    alice.save()
    assert post_password(client, alice.email)["Location"] == VERIFY_URL


def test_a_cookie_of_the_old_format_asks_for_the_second_step(client, alice, remembering):
    add_authenticator(alice)
    old = {"user": alice.pk, "password": alice.password[-12:]}
    client.cookies[TRUST_COOKIE] = signing.dumps(old, salt=TRUST_SALT)
    assert post_password(client)["Location"] == VERIFY_URL


def test_a_cookie_for_someone_else_asks_for_the_second_step(client, alice, bob, remembering):
    cookie = remembered_cookie(client, bob)
    add_authenticator(alice)
    client.cookies[TRUST_COOKIE] = cookie.value
    assert post_password(client)["Location"] == VERIFY_URL


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        ":",
        "::",
        "a:b:c",
        "é:ü",
        "%FF%FE",
        "\\x00",
        '"quoted"',
        "x" * 4000,
        signing.dumps({"user": 1}, salt="another.salt"),
        signing.dumps([1, 2], salt=TRUST_SALT),
        signing.dumps("text", salt=TRUST_SALT),
        signing.dumps(None, salt=TRUST_SALT),
        signing.dumps({"user": "1", "account": None}, salt=TRUST_SALT),
        signing.dumps({"user": 1}, salt=TRUST_SALT, compress=True)[:-3] + "abc",
        signing.dumps({"user": 1}, salt=TRUST_SALT).replace(":", "::"),
    ],
)
def test_a_malformed_cookie_asks_for_the_second_step(client, alice, remembering, value):
    add_authenticator(alice)
    client.cookies[TRUST_COOKIE] = value
    assert post_password(client)["Location"] == VERIFY_URL


def test_an_expired_cookie_asks_for_the_second_step(client, alice, remembering, time_machine):
    time_machine.move_to("2026-01-01", tick=False)
    remembered_cookie(client, alice)
    time_machine.shift(8 * 24 * 60 * 60)
    assert post_password(client)["Location"] == VERIFY_URL
