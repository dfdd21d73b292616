"""Passkeys in a real browser: add one from Security info, then sign in with it alone.

Chromium's DevTools virtual authenticator plays the platform passkey (Windows Hello, Touch
ID…): it saves discoverable credentials and verifies the user without a prompt.
"""

import base64
import re

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from signins.models import SignInEvent
from tests.factories import PASSWORD
from tests.fakes.webauthn import SoftKey
from tests.security_info.conftest import add_authenticator, add_passkey

pytestmark = pytest.mark.django_db(transaction=True)


def add_virtual_authenticator(page) -> tuple:
    """Give the page's browser a platform authenticator; return the session and its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, answer["authenticatorId"]


def test_alice_adds_a_passkey_and_signs_in_with_it_alone(
    live_server, page, employee, axe, screenshot
):
    _app, totp = add_authenticator(employee)
    add_virtual_authenticator(page)

    # A password and an authenticator code, as before.
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(employee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server.url + "/accounts/verify/")
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(live_server.url + "/")

    # Security info → add a passkey → name it.
    page.goto(live_server.url + "/security-info/")
    page.get_by_role("link", name="Passkey or security key").click()
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    expect(page.get_by_text("This browser can't use passkeys.")).to_be_hidden()
    axe(page)
    screenshot(page, "passkey-add")
    page.get_by_role("button", name="Add passkey").click()

    expect(page.get_by_role("heading", name="Passkey added")).to_be_visible()
    name = page.get_by_label("Name")
    expect(name).to_have_value("Passkey 1")
    axe(page)
    name.fill("Work laptop")
    page.get_by_role("button", name="Done").click()
    expect(page).to_have_url(live_server.url + "/security-info/")
    expect(page.locator(".method-list")).to_contain_text("Work laptop")

    # Sign out, then back in with the passkey: no email, no password, no code.
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    passkey_button = page.get_by_role("button", name="Sign in with a passkey")
    expect(passkey_button).to_be_visible()
    axe(page)
    screenshot(page, "passkey-sign-in")
    passkey_button.click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("banner").locator(".user-menu summary")).to_contain_text("Alice")
    latest = SignInEvent.objects.filter(user=employee).latest("created_at")
    assert (latest.result, latest.method) == ("success", "passkey")


def test_a_browser_without_webauthn_gets_a_notice_instead_of_the_button(live_server, page, axe):
    page.add_init_script("delete window.PublicKeyCredential")
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_text("This browser can't use passkeys.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    axe(page)


def test_a_passkey_can_be_the_second_step_after_the_password(live_server, page, employee, axe):
    key = SoftKey()
    add_passkey(employee, key=key, is_default=True)
    cdp, authenticator_id = add_virtual_authenticator(page)
    cdp.send(
        "WebAuthn.addCredential",
        {
            "authenticatorId": authenticator_id,
            "credential": {
                "credentialId": base64.b64encode(key.credential_id).decode(),
                "isResidentCredential": True,
                "rpId": "localhost",
                "privateKey": base64.b64encode(
                    key.private_key.private_bytes(
                        serialization.Encoding.DER,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                ).decode(),
                "userHandle": base64.b64encode(key.user_handle).decode(),
                "signCount": 0,
            },
        },
    )

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(employee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server.url + "/accounts/verify/")
    expect(page.get_by_text("Use your passkey or security key.")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Use my passkey").click()

    expect(page).to_have_url(live_server.url + "/")
    latest = SignInEvent.objects.filter(user=employee).latest("created_at")
    assert (latest.result, latest.method, latest.second_factor) == (
        "success",
        "password",
        "passkey",
    )


def test_at_an_ip_address_no_page_offers_a_passkey_and_the_add_page_says_why(
    live_server, page, employee, settings, axe, screenshot
):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    _app, totp = add_authenticator(employee)
    at_ip = live_server.url.replace("localhost", "127.0.0.1")

    page.goto(at_ip + "/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)
    axe(page)
    page.get_by_label("Email").fill(employee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(at_ip + "/")

    page.goto(at_ip + "/security-info/")
    expect(page.get_by_role("heading", name="Add a sign-in method")).to_be_visible()
    expect(page.get_by_role("link", name="Passkey or security key")).to_have_count(0)

    page.goto(at_ip + "/security-info/passkeys/add/")
    expect(page.get_by_text("Passkeys can't be used at this address.")).to_be_visible()
    expect(page.get_by_role("button", name="Add passkey")).to_have_count(0)
    axe(page)
    screenshot(page, "passkey-add-at-an-ip-address")
    page.set_viewport_size({"width": 360, "height": 740})
    page.emulate_media(color_scheme="dark")
    axe(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "passkey-add-at-an-ip-address-360-dark")
