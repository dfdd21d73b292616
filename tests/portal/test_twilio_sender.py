"""Texts and calls go out through the official Twilio client, here against a local fake Twilio."""

import base64
import http.client
import io
import json
import logging
import time

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from portal import delivery
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, serve_fake_twilio


@pytest.fixture
def twilio(settings, monkeypatch):
    with serve_fake_twilio(settings, monkeypatch) as fake:
        yield fake


def test_a_text_reaches_twilio_with_the_number_sender_and_body(twilio):
    delivery.send_text("+447400123456", "Your verification code is 123456")

    [message] = twilio.messages
    assert message["To"] == "+447400123456"
    assert message["From"] == FROM_NUMBER
    assert message["Body"] == "Your verification code is 123456"
    assert twilio.requests[0].path == f"/api/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def test_twilio_is_asked_with_the_account_credentials(twilio):
    delivery.send_text("+447400123456", "Your verification code is 123456")

    assert twilio.requests[0].authorization == (ACCOUNT_SID, AUTH_TOKEN)


def test_a_call_reads_the_code_twice(twilio):
    delivery.place_call("+14255550100", "Your verification code is 1 2 3 4 5 6.")

    [call] = twilio.calls
    assert call["To"] == "+14255550100"
    assert call["From"] == FROM_NUMBER
    assert '<Say loop="2">Your verification code is 1 2 3 4 5 6.</Say>' in call["Twiml"]
    assert "SendDigits" not in call


def test_a_call_to_an_office_phone_dials_the_extension_after_a_pause(twilio):
    delivery.place_call("+14255550100", "Your verification code is 1 2 3 4 5 6.", extension="123")

    assert twilio.calls[0]["SendDigits"] == "wwww123"


def test_a_twilio_error_is_a_failed_delivery(twilio):
    twilio.fail_next(400)

    with pytest.raises(delivery.DeliveryFailed):
        delivery.send_text("+447400123456", "Your verification code is 123456")
    assert twilio.messages == []


def test_wrong_credentials_are_refused_and_the_delivery_fails(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    delivery._sender.cache_clear()

    with pytest.raises(delivery.DeliveryFailed):
        delivery.send_text("+447400123456", "Your verification code is 123456")
    assert twilio.requests[0].status == 401


def test_twilio_being_unreachable_is_a_failed_delivery(twilio):
    twilio.stop()

    with pytest.raises(delivery.DeliveryFailed):
        delivery.place_call("+14255550100", "Your verification code is 1 2 3 4 5 6.")


def test_a_hung_twilio_fails_the_send_after_the_timeout(twilio, settings):
    settings.TWILIO_TIMEOUT = 1
    delivery._sender.cache_clear()
    twilio.hang_seconds = 3
    started = time.monotonic()
    with pytest.raises(delivery.DeliveryFailed):
        delivery.send_text("+447400123456", "Your verification code is 123456")
    assert time.monotonic() - started < 2.5
    twilio.hang_seconds = 0


def test_neither_a_sent_nor_a_refused_text_logs_its_body(twilio, caplog):
    with caplog.at_level(logging.DEBUG):
        delivery.send_text("+447400123456", "Your verification code is 482913")
        twilio.fail_next(400)
        with pytest.raises(delivery.DeliveryFailed):
            delivery.send_text("+447400123456", "Your verification code is 482913")
    assert "twilio.http_client" in {record.name for record in caplog.records}
    assert "482913" not in caplog.text


def test_a_refused_text_in_the_queue_keeps_no_body_in_its_traceback(
    twilio, settings, transactional_db
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    twilio.fail_next(400)
    delivery.send_text("+447400123456", "Your verification code is 482913")

    call_command("db_worker", batch=True, no_startup_delay=True, stdout=io.StringIO())

    [row] = DBTaskResult.objects.all()
    assert row.exception_class_path == "twilio.base.exceptions.TwilioRestException"
    assert "482913" not in row.traceback


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
