"""The worker child serving the "phone" queue killed (SIGKILL) in the middle of a send: the
supervisor starts another, the sweep takes the cut-short attempt back after its lease, and the
text goes out; no task is left "running".

At most two texts may reach the person: an attempt killed after the provider took the message
but before its answer was recorded cannot be told from one killed before, so the delivery is
"at least once". The fake Twilio here counts the killed request as abandoned (its caller hung
up before the answer), so this run sees exactly one; a real provider might have sent both.
"""

import os
import signal
import time

import pytest

from tests.faults.flows import (
    SENDING,
    SIGN_IN_TEXTED,
    SIGN_IN_VERIFY,
    code_in,
    finish_sign_in,
    start_sign_in,
    texts_to,
    wait_until_tasks_done,
    watch_until_sent,
)
from tests.faults.stack import LEASE_SECONDS, SWEEP_SECONDS, wait_for

pytestmark = pytest.mark.stack


def test_the_phone_worker_killed_mid_send_is_restarted_and_the_text_still_goes_out(portal):
    user = portal.take_user("sms")
    number = user["phone"]
    browser = portal.browser()
    killed = portal.worker_child("phone")
    others = {queue: portal.worker_child(queue) for queue in ("mail", "default")}
    arrived = portal.twilio.arrived
    portal.twilio.hang_next(3 * LEASE_SECONDS)  # Twilio holds the first attempt's answer

    page = start_sign_in(browser, user)
    wait_for(lambda: portal.twilio.arrived > arrived, 10, "the first attempt to reach Twilio", 0.01)
    os.kill(killed, signal.SIGKILL)  # while it waits for Twilio's answer (TWILIO_TIMEOUT)
    killed_at = time.monotonic()

    row = portal.db.delivery(number)
    assert (row["status"], row["attempts"]) == ("sending", 1)
    [task] = portal.db.tasks(row["id"])
    assert task["status"] == "RUNNING"
    page = browser.get(SIGN_IN_VERIFY)
    assert page.says(SENDING), page
    assert not page.says("texted"), page

    restarted = wait_for(
        lambda: _other_child(portal, "phone", killed), 15, "the supervisor to restart the child"
    )
    assert restarted != killed
    assert {queue: portal.worker_child(queue) for queue in others} == others  # untouched

    watch_until_sent(
        browser,
        SIGN_IN_VERIFY,
        SIGN_IN_TEXTED,
        lambda: len(texts_to(portal, number)),
        timeout=LEASE_SECONDS + 3 * SWEEP_SECONDS + 10,
    )
    # Not before the lease ran out: until then the attempt might still have been going on.
    assert time.monotonic() - killed_at >= LEASE_SECONDS - 1

    texts = texts_to(portal, number)
    assert 1 <= len(texts) <= 2  # at least once; see the module's docstring
    row = portal.db.delivery(number)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    tasks = wait_until_tasks_done(portal, row["id"])
    assert tasks[0]["status"] == "FAILED"
    assert tasks[0]["exception_class_path"] == "portal.worker.WorkerLost"
    assert {task["status"] for task in tasks[1:]} == {"SUCCESSFUL"}
    assert portal.db.running_tasks() == []

    finish_sign_in(browser, code_in(texts[-1]["Body"]))
    [event] = portal.db.sign_ins(user["email"])
    assert event["result"] == "success"
    assert browser.get("/health/worker/").status == 200


def _other_child(portal, queue: str, old: int) -> int | None:
    try:
        child = portal.worker_child(queue)
    except AssertionError:  # none yet
        return None
    return child if child != old else None
