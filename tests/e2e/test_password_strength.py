"""The strength meter in a real browser: words, verdict and colours as the password is typed,
the same on the change page and on the reset's last step, in light and dark and at 360 px."""

import re

import pytest
from playwright.sync_api import expect

from portal.delivery import recent_outbox
from tests.factories import PASSWORD
from tests.security_info.conftest import add_phone

pytestmark = pytest.mark.django_db(transaction=True)

STRONG = "quiet otter borrows seven lanterns"


def meter(page):
    return page.locator("[data-password-strength]")


def test_the_change_page_meter_gives_a_verdict_and_spots_the_current_password(
    live_server, page, employee, sign_in, axe, screenshot
):
    sign_in(page, employee)
    page.goto(live_server.url + "/password/")
    strength = meter(page)
    expect(strength).to_be_visible()
    expect(strength).to_contain_text("As you type, we check it against your organization's rules.")

    page.get_by_label("Current password").fill(PASSWORD)
    new = page.get_by_label("New password", exact=True)
    new.fill("northwind1")
    expect(strength).to_contain_text("Strength:")
    expect(strength).to_contain_text("Doesn't meet your organization's rules yet.")
    expect(strength).to_contain_text("Use at least 12 characters.")
    expect(strength).to_have_attribute("data-verdict", "fails")
    axe(page)
    screenshot(page, "password-change-meter-weak")

    new.fill(STRONG)
    expect(strength.locator("[data-strength-label]")).to_have_text("Very strong")
    expect(strength).to_contain_text("Meets your organization's rules.")
    expect(strength).to_contain_text("When you continue, we also check that it isn't your current")
    expect(strength).to_have_attribute("data-verdict", "meets")
    assert strength.locator(".strength__bar span").count() == 5
    # The polite region says it once, for screen readers.
    announced = strength.locator("[aria-live=polite]")
    expect(announced).to_have_text(
        "Strength: Very strong Meets your organization's rules.", use_inner_text=False
    )

    # The current password again: said before submit, and never called strong.
    new.fill(PASSWORD)
    same = strength.locator("[data-strength-same]")
    expect(same).to_be_visible()
    expect(same).to_have_text("That's your current password. Choose a new one.")
    expect(strength.locator("[data-strength-verdict]")).to_be_hidden()
    expect(strength.locator("[data-strength-label]")).to_be_hidden()
    expect(announced).to_have_text("That's your current password. Choose a new one.")
    expect(strength).to_have_attribute("data-verdict", "fails")
    axe(page)
    screenshot(page, "password-change-meter-current")

    # Changing the current password field changes the comparison.
    page.get_by_label("Current password").fill(PASSWORD + "x")
    expect(same).to_be_hidden()

    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 360, "height": 740})
    new.fill("northwind1")
    expect(strength).to_have_attribute("data-verdict", "fails")
    axe(page)
    screenshot(page, "password-change-meter-weak-dark-360")
    new.fill(STRONG)
    expect(strength).to_have_attribute("data-verdict", "meets")
    axe(page)
    screenshot(page, "password-change-meter-strong-dark-360")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_reset_has_the_same_meter(live_server, page, employee, axe, screenshot):
    add_phone(employee, "+447400123456", channel="sms", is_default=True)
    base = live_server.url
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(base + "/password/reset/")
    page.get_by_label("Email address").fill(employee.email)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Text my mobile phone").check()
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(base + "/password/reset/code/")
    page.get_by_label("Code").fill(re.search(r"\d{6}", recent_outbox()[0]["body"])[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(base + "/password/reset/new/")

    strength = meter(page)
    new = page.get_by_label("New password", exact=True)
    new.fill("alice archer")
    expect(strength).to_have_attribute("data-verdict", "fails")
    expect(strength).to_contain_text("your name")
    axe(page)
    screenshot(page, "password-reset-meter-weak-360")
    new.fill(STRONG)
    expect(strength).to_have_attribute("data-verdict", "meets")
    expect(strength.locator("[data-strength-label]")).to_have_text("Very strong")
    page.emulate_media(color_scheme="dark")
    axe(page)
    screenshot(page, "password-reset-meter-strong-dark-360")
