"""Twilio failing (500, 429) or gone while people wait for a text: the page says the code is on
its way, never that it was texted before Twilio has it; once Twilio answers again a retry
delivers it, the page says so, and the code works."""

import pytest

from security_info.phones.numbers import format_international
from tests.fakes.twilio import twilio_error
from tests.faults.flows import (
    PHONE_TEXTED,
    PHONE_VERIFY,
    SENDING,
    SIGN_IN_TEXTED,
    SIGN_IN_VERIFY,
    STILL_TRYING,
    add_phone,
    code_in,
    enter_code,
    finish_sign_in,
    signed_in_with_app,
    start_sign_in,
    texts_to,
    wait_until_retrying,
    wait_until_tasks_done,
    watch_until_sent,
)

pytestmark = pytest.mark.stack

FAULTS = {
    # Failing until told otherwise: the test decides when Twilio is back.
    "500": lambda twilio: twilio.fail_next(
        500, twilio_error(500, 20500, "Internal Server Error"), times=1000
    ),
    "429": lambda twilio: twilio.fail_next(
        429, twilio_error(429, 20429, "Too Many Requests"), times=1000
    ),
    "stopped": lambda twilio: twilio.stop(),
}
DETAILS = {"500": "Twilio 500 (error 20500)", "429": "Twilio 429 (error 20429)", "stopped": ""}


def recover(twilio) -> None:
    twilio.clear_faults()
    if not twilio.running:
        twilio.start()


def assert_failed_requests(portal, fault: str, number: str) -> None:
    """What Twilio saw while failing: refused attempts at that number (none when stopped)."""
    refused = [r for r in portal.twilio.requests if r.form.get("To") == number and r.status != 201]
    if fault == "stopped":
        assert refused == []
    else:
        assert len(refused) >= 2
        assert {r.status for r in refused} == {int(fault)}


def assert_delivered_once(portal, number: str) -> dict:
    """The one delivery to `number` went out once, after failed attempts; its tasks ended."""
    [text] = texts_to(portal, number)
    row = portal.db.delivery(number)
    assert (row["status"], row["reason"], row["detail"]) == ("sent", "", "")
    assert row["attempts"] >= 3  # two failures at least, then the one that went out
    assert row["sealed_message"] == ""  # nothing of the code is kept once it has gone out
    tasks = wait_until_tasks_done(portal, row["id"])
    assert {task["status"] for task in tasks} == {"SUCCESSFUL"}
    assert len(tasks) >= row["attempts"]  # one task per attempt
    assert {task["queue_name"] for task in tasks} == {"phone"}
    return text


@pytest.mark.parametrize("fault", FAULTS)
def test_adding_a_phone_while_twilio_fails(portal, fault):
    user = portal.take_user("totp")
    number = user["new_phone"]
    browser = signed_in_with_app(portal, user)
    FAULTS[fault](portal.twilio)

    page = add_phone(browser, number)
    assert not page.says("texted")
    assert page.says(SENDING) or page.says(STILL_TRYING), page
    status_url = page.attribute("data-send-status")
    assert status_url is not None
    assert status_url.startswith("/deliveries/")

    failing = wait_until_retrying(portal, number)
    if DETAILS[fault]:
        assert failing["detail"] == DETAILS[fault]
    page = browser.get(PHONE_VERIFY)
    assert page.says(STILL_TRYING), page
    assert not page.says("texted"), page
    assert texts_to(portal, number) == []
    assert browser.get(status_url).json()["finished"] is False

    recover(portal.twilio)
    seen = watch_until_sent(
        browser, PHONE_VERIFY, PHONE_TEXTED, lambda: len(texts_to(portal, number))
    )
    assert seen[-1] == "sent"

    text = assert_delivered_once(portal, number)
    assert_failed_requests(portal, fault, number)
    assert browser.get(status_url).json() == {
        "status": "sent",
        "attempts": portal.db.delivery(number)["attempts"],
        "finished": True,
    }
    done = enter_code(browser, PHONE_VERIFY, code_in(text["Body"]))
    assert done.url == "/security-info/", done
    assert done.says("SMS verified. Your phone was registered successfully.")
    assert done.says(format_international(number))  # the stack's time zone is UTC


@pytest.mark.parametrize("fault", FAULTS)
def test_signing_in_by_text_while_twilio_fails(portal, fault):
    user = portal.take_user("sms")
    number = user["phone"]
    browser = portal.browser()
    FAULTS[fault](portal.twilio)

    page = start_sign_in(browser, user)
    assert not page.says("texted")
    assert page.says(SENDING) or page.says(STILL_TRYING), page
    # The attempt is on record at once, waiting on its second step.
    [event] = portal.db.sign_ins(user["email"])
    assert event["result"] == "interrupted"

    wait_until_retrying(portal, number)
    page = browser.get(SIGN_IN_VERIFY)
    assert page.says(STILL_TRYING), page
    assert not page.says("texted"), page
    assert texts_to(portal, number) == []

    recover(portal.twilio)
    watch_until_sent(browser, SIGN_IN_VERIFY, SIGN_IN_TEXTED, lambda: len(texts_to(portal, number)))

    text = assert_delivered_once(portal, number)
    assert_failed_requests(portal, fault, number)
    finish_sign_in(browser, code_in(text["Body"]))
    # One attempt, one event: the one written at the second step, settled as a success.
    [settled] = portal.db.sign_ins(user["email"])
    assert (settled["id"], settled["result"], settled["reason"]) == (event["id"], "success", "")
    assert settled["second_factor"] == "mobile_phone:sms"
