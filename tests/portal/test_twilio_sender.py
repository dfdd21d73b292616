"""Texts and calls go out through the official Twilio client, here against a local fake Twilio:
what reaches it, and what each of its failures does to the delivery (tried again or not)."""

import base64
import http.client
import json
import logging
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from portal import delivery, ratelimits
from portal.models import Delivery
from tests.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilio,
    twilio_error,
)
from tests.tasks import run_worker

NUMBER = "+447400123456"
BODY = "Your verification code is 482913"
SERVER_ERROR = twilio_error(500, 20500, "An internal server error has occurred")
TOO_MANY_REQUESTS = twilio_error(429, 20429, "Too Many Requests")


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    return time_machine


def run_worker_at_the_next_attempt(time_machine) -> Delivery:
    """Move the clock just past the delivery's next attempt, run the worker, return the row."""
    waiting = Delivery.objects.get()
    time_machine.move_to(waiting.next_attempt_at + timedelta(seconds=1), tick=False)
    run_worker()
    return Delivery.objects.get()


def test_a_text_reaches_twilio_with_the_number_sender_and_body(db, twilio):
    sent = delivery.send_text("+447400123456", "Your verification code is 123456")

    [message] = twilio.messages
    assert message["To"] == "+447400123456"
    assert message["From"] == FROM_NUMBER
    assert message["Body"] == "Your verification code is 123456"
    assert twilio.requests[0].path == f"/api/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (sent.status, sent.attempts) == (Delivery.Status.SENT, 1)


def test_twilio_is_asked_with_the_account_credentials(db, twilio):
    delivery.send_text("+447400123456", "Your verification code is 123456")

    assert twilio.requests[0].authorization == (ACCOUNT_SID, AUTH_TOKEN)


def test_a_call_reads_the_code_twice(db, twilio):
    delivery.place_call("+14255550100", "Your verification code is 1 2 3 4 5 6.")

    [call] = twilio.calls
    assert call["To"] == "+14255550100"
    assert call["From"] == FROM_NUMBER
    assert '<Say loop="2">Your verification code is 1 2 3 4 5 6.</Say>' in call["Twiml"]
    assert "SendDigits" not in call


def test_a_call_to_an_office_phone_dials_the_extension_after_a_pause(db, twilio):
    delivery.place_call("+14255550100", "Your verification code is 1 2 3 4 5 6.", extension="123")

    assert twilio.calls[0]["SendDigits"] == "wwww123"


# Inline: one attempt, in the request ----------------------------------------------------------


def test_a_number_twilio_refuses_is_a_failed_delivery(db, twilio):
    twilio.fail_next(400)

    with pytest.raises(delivery.DeliveryFailed) as failed:
        delivery.send_text("+447400123456", "Your verification code is 123456")
    assert twilio.messages == []
    assert failed.value.delivery.reason == Delivery.Reason.REJECTED
    assert failed.value.delivery.detail == "Twilio 400 (error 21211)"


def test_wrong_credentials_are_refused_and_the_delivery_fails(db, twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    delivery._sender.cache_clear()

    with pytest.raises(delivery.DeliveryFailed) as failed:
        delivery.send_text("+447400123456", "Your verification code is 123456")
    assert twilio.requests[0].status == 401
    assert failed.value.delivery.reason == Delivery.Reason.NOT_CONFIGURED


def test_twilio_being_unreachable_is_a_failed_delivery(db, twilio):
    twilio.stop()

    with pytest.raises(delivery.DeliveryFailed) as failed:
        delivery.place_call("+14255550100", "Your verification code is 1 2 3 4 5 6.")
    assert failed.value.delivery.reason == Delivery.Reason.UNREACHABLE


def test_a_twilio_server_error_fails_an_inline_send_at_once(db, twilio, failures):
    twilio.fail_next(500, SERVER_ERROR)

    with pytest.raises(delivery.DeliveryFailed) as failed:
        delivery.send_text(NUMBER, BODY)

    row = Delivery.objects.get()
    assert failed.value.delivery == row
    assert (row.status, row.reason, row.attempts) == (
        Delivery.Status.FAILED,
        Delivery.Reason.UNREACHABLE,
        1,
    )
    assert row.detail == "Twilio 500 (error 20500)"
    assert row.sealed_message == ""
    assert len(twilio.requests) == 1  # no retry: the person is told now, and can ask again
    assert failures == [row]


def test_a_hung_twilio_fails_the_send_after_the_timeout(db, twilio, settings):
    settings.TWILIO_TIMEOUT = 1
    delivery._sender.cache_clear()
    twilio.hang_seconds = 3
    started = time.monotonic()
    with pytest.raises(delivery.DeliveryFailed) as failed:
        delivery.send_text("+447400123456", "Your verification code is 123456")
    assert time.monotonic() - started < 2.5
    assert failed.value.delivery.reason == Delivery.Reason.UNREACHABLE
    assert "Timeout" in failed.value.delivery.detail
    twilio.hang_seconds = 0


def test_neither_a_sent_nor_a_refused_text_logs_its_body(db, twilio, caplog):
    with caplog.at_level(logging.DEBUG):
        delivery.send_text("+447400123456", "Your verification code is 482913")
        twilio.fail_next(400)
        with pytest.raises(delivery.DeliveryFailed):
            delivery.send_text("+447400123456", "Your verification code is 482913")
    assert "twilio.http_client" in {record.name for record in caplog.records}
    assert "482913" not in caplog.text


# Queued: tried again while the failure may pass -----------------------------------------------


def test_a_refused_text_in_the_queue_keeps_no_body_in_its_task(twilio, queue):
    twilio.fail_next(400)
    delivery.send_text("+447400123456", "Your verification code is 482913")

    run_worker()

    [row] = DBTaskResult.objects.all()
    assert row.status == TaskResultStatus.SUCCESSFUL  # the task ran; the delivery failed
    assert "482913" not in row.traceback
    assert "482913" not in json.dumps([row.args_kwargs, row.return_value])
    failed = Delivery.objects.get()
    assert "482913" not in failed.detail
    assert "+447400123456" not in failed.detail


def come_back(twilio, settings) -> None:
    """Start the stopped fake Twilio again (on another port) and point the sender at it."""
    twilio.start()
    settings.TWILIO_API_BASE = twilio.base_url
    delivery._sender.cache_clear()


@pytest.mark.parametrize(
    ("fail", "mend"),
    [
        pytest.param(lambda twilio: twilio.fail_next(500, SERVER_ERROR), None, id="500"),
        pytest.param(lambda twilio: twilio.fail_next(429, TOO_MANY_REQUESTS), None, id="429"),
        pytest.param(FakeTwilio.stop, come_back, id="stopped"),
    ],
)
def test_a_passing_failure_is_tried_again_and_the_text_sent_once(
    twilio, queue, frozen, settings, fail, mend, failures
):
    fail(twilio)
    delivery.send_text(NUMBER, BODY)

    run_worker()

    waiting = Delivery.objects.get()
    assert (waiting.status, waiting.attempts) == (Delivery.Status.QUEUED, 1)
    assert waiting.reason == Delivery.Reason.UNREACHABLE
    assert waiting.next_attempt_at > waiting.attempt_started_at  # later, not at once
    assert waiting.next_attempt_at < waiting.give_up_at
    assert waiting.sealed_message  # kept for the next attempt
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    assert twilio.messages == []

    if mend:
        mend(twilio, settings)
    sent = run_worker_at_the_next_attempt(frozen)

    assert (sent.status, sent.attempts, sent.reason) == (Delivery.Status.SENT, 2, "")
    assert sent.sealed_message == ""
    [message] = twilio.messages
    assert message["Body"] == BODY
    assert failures == []


def test_the_next_attempt_waits_for_its_time(twilio, queue, frozen):
    twilio.fail_next(500, SERVER_ERROR)
    delivery.send_text(NUMBER, BODY)
    run_worker()
    waiting = Delivery.objects.get()

    frozen.move_to(waiting.next_attempt_at - timedelta(seconds=1), tick=False)
    run_worker()
    delivery.attempt(waiting.pk)

    assert Delivery.objects.get().attempts == 1
    assert len(twilio.requests) == 1


def test_the_delays_between_attempts_grow(twilio, queue, frozen):
    twilio.fail_next(500, SERVER_ERROR, times=3)
    delivery.send_text(NUMBER, BODY)
    run_worker()
    delays = []
    for _ in range(3):
        waiting = Delivery.objects.get()
        delays.append((waiting.next_attempt_at - waiting.attempt_started_at).total_seconds())
        run_worker_at_the_next_attempt(frozen)

    for delay, planned in zip(delays, delivery.RETRY_DELAYS[:3], strict=True):
        assert planned * 0.8 <= delay <= planned * 1.2
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_a_number_twilio_refuses_fails_at_once_and_is_not_tried_again(twilio, queue, failures):
    twilio.fail_next(400)  # 21211: not a valid phone number
    delivery.send_text(NUMBER, BODY)

    run_worker()

    failed = Delivery.objects.get()
    assert (failed.status, failed.reason, failed.attempts) == (
        Delivery.Status.FAILED,
        Delivery.Reason.REJECTED,
        1,
    )
    assert failed.detail == "Twilio 400 (error 21211)"
    assert failed.sealed_message == ""
    assert failed.finished_at is not None
    assert DBTaskResult.objects.count() == 1  # no second attempt queued
    assert len(twilio.requests) == 1
    assert failures == [failed]


def test_wrong_credentials_fail_a_queued_text_as_not_configured(twilio, queue, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    delivery._sender.cache_clear()
    delivery.send_text(NUMBER, BODY)

    run_worker()

    failed = Delivery.objects.get()
    assert (failed.status, failed.reason) == (
        Delivery.Status.FAILED,
        Delivery.Reason.NOT_CONFIGURED,
    )
    assert DBTaskResult.objects.count() == 1


def test_a_text_failing_until_its_deadline_is_given_up_and_its_counts_given_back(
    twilio, queue, frozen, rf, settings, failures
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_code": "100/h/ip,1/15m/key"}
    request = rf.post("/", REMOTE_ADDR="192.0.2.10")
    request.user = AnonymousUser()
    charges = ratelimits.consume(request, "send_code", key="alice")
    with pytest.raises(ratelimits.RateLimited):  # the one send allowed is taken
        ratelimits.consume(request, "send_code", key="alice", dry_run=True)
    twilio.fail_next(500, SERVER_ERROR, times=100)
    delivery.send_text(NUMBER, BODY, charges=charges, reference="test:1")

    run_worker()
    for _ in range(20):
        if Delivery.objects.get().finished:
            break
        run_worker_at_the_next_attempt(frozen)

    failed = Delivery.objects.get()
    assert (failed.status, failed.reason) == (Delivery.Status.FAILED, Delivery.Reason.UNREACHABLE)
    assert failed.detail == "Twilio 500 (error 20500)"
    assert failed.sealed_message == ""
    assert failed.attempts == len(twilio.requests) > 1
    assert failed.finished_at <= failed.give_up_at
    assert [(f.pk, f.reference) for f in failures] == [(failed.pk, "test:1")]
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert ratelimits.consume(request, "send_code", key="alice", dry_run=True) == []
    assert twilio.messages == []


@pytest.mark.parametrize("authorization", [None, f"{ACCOUNT_SID}:wrong", f"ACother:{AUTH_TOKEN}"])
def test_the_fake_refuses_requests_without_the_right_credentials(authorization):
    fake = FakeTwilio().start()
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if authorization:
            headers["Authorization"] = "Basic " + base64.b64encode(authorization.encode()).decode()
        connection = http.client.HTTPConnection(*fake.base_url.removeprefix("http://").split(":"))
        path = f"/api/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        connection.request("POST", path, body="To=%2B447400123456&Body=hi", headers=headers)
        response = connection.getresponse()
        assert response.status == 401
        assert json.loads(response.read())["code"] == 20003
        assert fake.messages == []
    finally:
        fake.stop()
