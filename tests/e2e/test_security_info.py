"""Security info in a real browser: a first authenticator app, a phone."""

import re

import pyotp
import pytest

from organizations.models import AuthenticationPolicy
from portal.delivery import recent_outbox
from tests.factories import PASSWORD, make_organization, make_user
from tests.security_info.conftest import add_authenticator, add_phone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def strict_org(transactional_db):
    """An organization that requires multi-factor sign-in (the default policy)."""
    organization = make_organization(name="Contoso", primary_domain="contoso.example")
    AuthenticationPolicy.objects.create(organization=organization, allow_passkeys=False)
    return organization


@pytest.fixture
def megan(strict_org):
    return make_user(
        "megan@contoso.example", organization=strict_org, given_name="Megan", surname="Bowen"
    )


def submit_password(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_new_user_sets_up_an_authenticator_app_and_signs_in_with_it(
    live_server, page, megan, axe, screenshot
):
    base = live_server.url
    submit_password(page, base, megan.email)
    page.wait_for_url(base + "/security-info/setup/")
    axe(page)
    screenshot(page, "setup-wizard")
    page.get_by_role("link", name="Authenticator app").click()
    page.wait_for_url(base + "/security-info/authenticator/add/")
    page.get_by_text("Can't scan the QR code?").click()
    secret = page.locator("code.secret").first.inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    axe(page)
    screenshot(page, "add-authenticator")
    page.get_by_label("Name").fill("My phone")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(base + "/security-info/setup/")
    assert page.get_by_role("heading", name="You're all set").is_visible()
    assert page.get_by_text("Authenticator app – code (My phone)").first.is_visible()
    page.get_by_role("button", name="Done").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/security-info/")
    assert page.get_by_text("Authenticator app – code (My phone)").first.is_visible()
    axe(page)
    screenshot(page, "security-info")

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    submit_password(page, base, megan.email)
    page.wait_for_url(base + "/accounts/verify/")
    axe(page)
    screenshot(page, "verify-authenticator")
    page.wait_for_timeout(50)
    # A new 30-second step guarantees a code the registration has not used.
    code = pyotp.TOTP(secret).at(int(page.evaluate("Date.now()") / 1000) + 30)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(base + "/")
    assert page.get_by_text("Megan Bowen").first.is_visible()


def test_a_user_adds_a_phone_and_signs_in_with_a_text(live_server, page, megan, axe, screenshot):
    base = live_server.url
    submit_password(page, base, megan.email)
    page.wait_for_url(base + "/security-info/setup/")
    page.get_by_text("I want to set up a different method").click()
    page.get_by_role("link", name="Phone", exact=True).click()
    axe(page)
    screenshot(page, "add-phone")
    page.get_by_label("Country or region").select_option("GB")
    page.get_by_label("Phone number").fill("07400 123456")
    page.get_by_label("Text me a code").check()
    page.get_by_role("button", name="Next").click()
    axe(page)
    code = re.search(r"\d{6}", recent_outbox()[0]["body"])[0]
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(base + "/security-info/setup/")
    assert page.get_by_text("+44 7400 123456").first.is_visible()
    page.get_by_role("button", name="Done").click()
    page.wait_for_url(base + "/")

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    submit_password(page, base, megan.email)
    page.wait_for_url(base + "/accounts/verify/")
    assert page.get_by_text("We texted a code to").is_visible()
    assert page.get_by_text("+447400123456").count() == 0  # masked before the second factor
    axe(page)
    screenshot(page, "verify-text")
    code = re.search(r"\d{6}", recent_outbox()[0]["body"])[0]
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(base + "/")


def test_the_security_info_pages_pass_axe_in_dark_mode_and_at_360_pixels(
    live_server, page, megan, axe, screenshot
):

    _method, app = add_authenticator(megan)
    add_phone(megan, channel="sms")
    base = live_server.url
    submit_password(page, base, megan.email)
    page.get_by_label("Code").fill(app.now())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(base + "/")
    page.set_viewport_size({"width": 360, "height": 740})
    page.emulate_media(color_scheme="dark")
    for path in ["/security-info/", "/security-info/default/", "/security-info/authenticator/add/"]:
        page.goto(base + path)
        axe(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "security-info-360-dark")
