"""A call that asks to press #, seen in a browser: the second step waits on it, passes axe,
and signs in by itself once the fake Twilio presses # (or says why when nobody answered)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from security_info.models import BlockedPhone, Method
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def call_me(page, live_server, employee) -> None:
    Method.objects.create(
        user=employee,
        kind=Method.Kind.MOBILE_PHONE,
        phone="+447700900123",
        channel=Method.Channel.VOICE,
        is_default=True,
    )
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(employee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.mark.parametrize(("scheme", "width"), [("light", 360), ("dark", 360), ("light", 1280)])
def test_the_second_step_continues_once_pound_is_pressed(
    twilio, live_server, page, axe, screenshot, employee, scheme, width
):
    page.set_viewport_size({"width": width, "height": 740})
    page.emulate_media(color_scheme=scheme)
    call_me(page, live_server, employee)

    status = page.get_by_role("status")
    expect(status).to_contain_text("We're calling +44")
    expect(status).to_contain_text("Answer and press # to finish signing in.")
    expect(page.get_by_label("Code")).to_have_count(0)
    axe(page)
    screenshot(page, f"approval-call-waiting-{width}-{scheme}")

    status_code, twiml = twilio.press("#")  # over HTTP, signed, as Twilio posts it

    assert status_code == 200
    assert "go back to your screen" in twiml
    page.wait_for_url(live_server.url + "/", timeout=15000)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_call_nobody_answered_says_so_and_offers_another(
    twilio, live_server, page, axe, screenshot, employee
):
    page.set_viewport_size({"width": 360, "height": 740})
    call_me(page, live_server, employee)
    expect(page.get_by_role("status")).to_contain_text("We're calling")

    assert twilio.end("no-answer")[0] == 204

    expect(page.get_by_role("alert")).to_contain_text(re.compile("wasn't answered"), timeout=15000)
    expect(page.get_by_role("button", name="Call again")).to_be_visible()
    axe(page)
    screenshot(page, "approval-call-not-answered-360")
    page.get_by_role("button", name="Call again").click()
    expect(page.get_by_role("status")).to_contain_text("We're calling")
    assert len(twilio.placed) == 2


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_new_number_is_confirmed_by_pound_and_a_blocked_one_says_so(
    twilio, live_server, page, axe, screenshot, employee, scheme
):
    BlockedPhone.objects.create(
        user=employee, phone="+447700900999", until=timezone.now() + timedelta(days=90)
    )
    Method.objects.create(user=employee, kind=Method.Kind.ALTERNATE_PHONE, phone="+447700900999")
    page.set_viewport_size({"width": 360, "height": 740})
    page.emulate_media(color_scheme=scheme)
    call_me(page, live_server, employee)
    expect(page.get_by_role("status")).to_contain_text("We're calling")
    twilio.press("#")
    page.wait_for_url(live_server.url + "/", timeout=15000)

    page.goto(live_server.url + "/security-info/")
    expect(page.get_by_text("Blocked for verification until")).to_be_visible()
    axe(page)
    screenshot(page, f"approval-call-blocked-row-360-{scheme}")

    mobile = Method.objects.get(user=employee, kind=Method.Kind.MOBILE_PHONE)
    page.goto(f"{live_server.url}/security-info/phone/{mobile.pk}/change/")
    page.get_by_label("Phone number").fill("+44 7400 123456")
    page.get_by_label("Call me").check()
    page.get_by_role("button", name="Next").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("Answer and press # to confirm the number.")
    axe(page)
    screenshot(page, f"approval-call-new-number-360-{scheme}")
    twilio.press("#")

    page.wait_for_url(live_server.url + "/security-info/", timeout=15000)
    mobile.refresh_from_db()
    assert mobile.phone == "+447400123456"
