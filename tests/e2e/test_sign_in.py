"""Signing in and out in a real browser: the flow, small screens, dark mode, CSP and old browsers.

Every page the tests land on is also checked with axe-core for WCAG 2.2 A/AA violations.
"""

import re

import pytest
from playwright.sync_api import expect

from organizations.models import AuthenticationPolicy
from tests.factories import PASSWORD, make_organization, make_user

pytestmark = pytest.mark.django_db(transaction=True)

SIGN_IN_PATH = re.compile(r"/accounts/login/(\?.*)?$")
IE_11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"


def _fits_the_viewport(page) -> bool:
    """True when nothing makes the page scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_employee_signs_in_sees_the_overview_and_signs_out(live_server, page, axe, screenshot):
    organization = make_organization(
        name="Contoso Pharmaceuticals", primary_domain="contoso.example"
    )
    # Nothing asked after the password: this test is about the shell, not the second step or
    # registering for a reset.
    AuthenticationPolicy.objects.create(
        organization=organization, mfa_required=False, reset_registration_required=False
    )
    user = make_user(
        "megan@contoso.example",
        organization=organization,
        given_name="Megan",
        surname="Bowen",
        job_title="Marketing Manager",
    )

    page.goto(live_server.url + "/")
    expect(page).to_have_url(SIGN_IN_PATH)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    axe(page)
    screenshot(page, "sign-in-desktop-light")

    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(live_server.url + "/")
    header = page.get_by_role("banner")
    expect(header.locator(".topbar__org")).to_have_text("Contoso Pharmaceuticals")
    expect(header.locator(".user-menu summary")).to_contain_text("Megan Bowen")
    profile = page.get_by_role("region", name="Megan Bowen")
    expect(profile).to_be_visible()
    expect(profile).to_contain_text("Marketing Manager")
    expect(profile).to_contain_text("Contoso Pharmaceuticals")
    axe(page)
    screenshot(page, "overview-desktop-light")

    header.locator(".user-menu summary").click()
    expect(header.locator(".user-menu__name")).to_have_text("Megan Bowen")
    expect(header.locator(".user-menu__email")).to_have_text("megan@contoso.example")
    axe(page)  # with the menu open
    screenshot(page, "overview-desktop-user-menu")
    header.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(SIGN_IN_PATH)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(SIGN_IN_PATH)


def test_a_wrong_password_shows_an_error_and_stays_on_the_sign_in_page(
    live_server, page, employee, axe, screenshot
):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(employee.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(
        page.get_by_text("email address and/or password you specified are not correct")
    ).to_be_visible()
    expect(page).to_have_url(SIGN_IN_PATH)
    expect(page.get_by_label("Email")).to_have_value(employee.email)
    axe(page)
    screenshot(page, "sign-in-wrong-password")

    page.goto(live_server.url + "/")
    expect(page).to_have_url(SIGN_IN_PATH)  # still signed out


def test_the_overview_works_at_360_pixels_wide(
    live_server, page, employee, sign_in, axe, screenshot
):
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(live_server.url + "/accounts/login/")
    assert _fits_the_viewport(page)
    axe(page)
    screenshot(page, "sign-in-360")

    sign_in(page, employee)
    nav = page.locator("#portal-nav")
    menu_button = page.get_by_role("button", name="Navigation")
    expect(menu_button).to_be_visible()
    expect(menu_button).to_have_attribute("aria-controls", "portal-nav")
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert _fits_the_viewport(page)
    axe(page)
    screenshot(page, "overview-360")

    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Overview")).to_be_visible()
    assert _fits_the_viewport(page)
    axe(page)
    screenshot(page, "overview-360-nav-open")

    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()


def test_dark_mode_has_no_contrast_violations(
    live_server, page, employee, sign_in, axe, screenshot
):
    page.emulate_media(color_scheme="dark")

    page.goto(live_server.url + "/accounts/login/")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    axe(page)
    screenshot(page, "sign-in-desktop-dark")

    sign_in(page, employee)
    axe(page)
    screenshot(page, "overview-desktop-dark")

    page.locator(".user-menu summary").click()
    axe(page)


def test_no_page_breaks_the_content_security_policy(live_server, page, employee):
    console: list[str] = []
    page_errors: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    response = page.goto(live_server.url + "/accounts/login/")
    assert "script-src" in response.headers.get("content-security-policy", "")
    page.get_by_label("Email").fill(employee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_server.url + "/")
    # portal.js ran (it needs its nonce): the navigation toggle is wired up and the menu works.
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(SIGN_IN_PATH)

    violations = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert violations == []
    assert page_errors == []


def test_internet_explorer_gets_the_unsupported_page(live_server, new_context, axe, screenshot):
    page = new_context(user_agent=IE_11).new_page()

    page.goto(live_server.url + "/")

    expect(page.get_by_role("heading", name="This browser is not supported")).to_be_visible()
    supported = page.locator(".browser-list li")
    expect(supported).to_have_text(
        ["Microsoft Edge", "Google Chrome", "Mozilla Firefox", "Apple Safari"]
    )
    axe(page)
    screenshot(page, "unsupported-browser")
