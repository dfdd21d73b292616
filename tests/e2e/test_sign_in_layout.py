"""The sign-in pages' layout in a real browser: where the cursor starts, the "Don't ask again"
box at 360 px, and the "Sign in another way" list, in light and dark."""

import re

import pytest
from playwright.sync_api import expect

from organizations.models import AuthenticationPolicy
from portal.delivery import recent_outbox
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, add_phone

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sign_in_page_starts_in_the_address_then_in_the_password(
    live_server, page, employee, axe
):
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_label("Email address")).to_be_focused()
    axe(page)
    page.keyboard.type(employee.email)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    # The address is kept: the cursor waits in the password.
    expect(page.get_by_label("Password")).to_be_focused()
    axe(page)


@pytest.fixture
def on_the_second_step(live_server, page, employee):
    """Employee with a mobile phone (texts), an office phone and an app, on the verify page."""
    AuthenticationPolicy.objects.filter(organization__memberships__user=employee).update(
        mfa_required=True, remember_browser_days=14
    )
    add_phone(employee, "+447400123456", channel="sms", is_default=True)
    add_phone(employee, "+442079460056", kind="office_phone")
    add_authenticator(employee)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill(employee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(live_server.url + "/accounts/verify/")
    assert re.search(r"\d{6}", recent_outbox()[0]["body"])
    return page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dont_ask_again_stays_beside_its_box_at_360_pixels(
    on_the_second_step, axe, screenshot, scheme
):
    page = on_the_second_step
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 360, "height": 740})
    box = page.get_by_label(re.compile("Don't ask again on this browser")).bounding_box()
    label = page.locator("label[for=id_remember]").bounding_box()
    assert label["x"] > box["x"] + box["width"]  # beside it, not below
    assert label["y"] <= box["y"] + box["height"]  # its first line level with the box
    assert label["height"] > box["height"] * 1.5  # at this width the label wraps, beside it
    assert label["x"] + label["width"] <= 360
    axe(page)
    screenshot(page, f"sign-in-verify-360-{scheme}")


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 360)])
def test_sign_in_another_way_lists_its_options_in_one_column(
    on_the_second_step, axe, screenshot, scheme, width
):
    page = on_the_second_step
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 800})
    page.get_by_text("Sign in another way").click()
    options = page.locator(".other-ways .option-button")
    expect(options).to_have_count(3)  # the call to the mobile, the office phone, the app
    summary = page.locator(".other-ways summary").bounding_box()
    lefts = {round(options.nth(n).bounding_box()["x"]) for n in range(3)}
    assert lefts == {round(summary["x"])}
    icons = {round(options.nth(n).locator(".icon").bounding_box()["x"]) for n in range(3)}
    labels = {
        round(options.nth(n).locator(".option-button__label").bounding_box()["x"]) for n in range(3)
    }
    assert len(icons) == 1
    assert len(labels) == 1
    # A mobile and an office number ending alike are told apart.
    hints = sorted(page.locator(".other-ways .option-button__hint").all_inner_texts())
    assert hints == ["Office phone", "Phone"]
    axe(page)
    screenshot(page, f"sign-in-another-way-{width}-{scheme}")
    options.filter(has_text="Authenticator app").click()
    expect(page.get_by_text("Enter the code shown in your authenticator app")).to_be_visible()
