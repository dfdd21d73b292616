"""Keep your account secure: registering a first method right after signing in."""

import re

import pyotp

from organizations.models import AuthenticationPolicy
from tests.factories import PASSWORD


def sign_in(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def test_a_user_without_a_method_must_register_one_first(client, alice):
    assert sign_in(client, alice)["Location"] == "/"
    for url in ["/", "/admin/", "/me/photo/"]:
        assert client.get(url)["Location"] == "/security-info/setup/"
    page = client.get("/security-info/setup/").content.decode()
    assert "Keep your account secure" in page
    assert "I want to set up a different method" in page


def test_the_wizard_recommends_the_most_secure_allowed_method(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_passkeys=False)
    sign_in(client, alice)
    page = client.get("/security-info/setup/").content.decode()
    recommended = re.search(r'<a class="button" href="([^"]+)">', page)[1]
    assert recommended == "/security-info/authenticator/add/"


def test_adding_a_method_ends_the_interrupt_with_a_summary(client, alice):
    sign_in(client, alice)
    page = client.get("/security-info/authenticator/add/").content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', page)[1]
    response = client.post(
        "/security-info/authenticator/add/", {"name": "Phone", "code": pyotp.TOTP(secret).now()}
    )
    assert response["Location"] == "/security-info/"
    summary = client.get("/security-info/").content.decode()
    assert "You&#x27;re all set" in summary
    assert client.get("/").status_code == 200
    assert client.get("/security-info/setup/")["Location"] == "/security-info/"


def test_signing_out_stays_possible(client, alice):
    sign_in(client, alice)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_no_interrupt_when_the_policy_does_not_require_multi_factor(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, mfa_required=False)
    sign_in(client, alice)
    assert client.get("/").status_code == 200
    assert client.get("/security-info/setup/")["Location"] == "/security-info/"
