"""A code still being sent, seen in a browser: the step says so, passes axe, and shows the
code as sent by itself once the worker has sent it (no reload by hand)."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from portal import delivery
from security_info.models import Method
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_second_step_follows_the_send_until_it_went_out(
    queue, live_server, page, axe, screenshot, employee, scheme
):
    Method.objects.create(
        user=employee,
        kind=Method.Kind.MOBILE_PHONE,
        phone="+447700900123",
        channel=Method.Channel.SMS,
        is_default=True,
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(employee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("Sending a code to +44")
    expect(page.get_by_text("We texted a code")).to_have_count(0)
    axe(page)
    screenshot(page, f"code-sending-narrow-{scheme}")

    call_command(
        "db_worker", batch=True, no_startup_delay=True, queue_name="*", stdout=io.StringIO()
    )

    expect(page.get_by_text(re.compile("We texted a code to"))).to_be_visible(timeout=15000)
    axe(page)
    code = re.search(r"\d{6}", delivery.recent_outbox()[0]["body"])[0]
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(live_server.url + "/")
