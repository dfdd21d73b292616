"""The fakes the fault suite breaks, checked on their own (no stack: these run in every pass).

FakeTwilio and FakeSMTP go down and come back on the same port, FakeTwilio's hung requests
whose caller hung up are not messages, FakeSMTP can refuse for a while, and the TCP relay
takes a service away and gives it back."""

import base64
import http.client
import smtplib
import socket
import time

import pytest

from tests.fakes.smtp import FakeSMTP
from tests.fakes.twilio import ABANDONED, ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.faults.relay import TcpRelay

TEXT = "To=%2B447400123456&Body=Your+code+is+123456"


def post_text(twilio: FakeTwilio, timeout: float = 5) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", twilio.port, timeout=timeout)
    try:
        connection.request(
            "POST",
            f"/api/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            body=TEXT,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "Basic "
                + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode(),
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


def test_twilio_comes_back_on_the_same_port(twilio):
    port = twilio.port
    twilio.stop()
    with pytest.raises(ConnectionRefusedError):
        post_text(twilio)
    twilio.start()
    assert twilio.port == port
    assert post_text(twilio) == 201
    assert len(twilio.messages) == 1


def test_a_hung_request_whose_caller_gave_up_is_no_message(twilio):
    twilio.hang_next(1.0)
    with pytest.raises(TimeoutError):
        post_text(twilio, timeout=0.3)
    assert twilio.arrived == 1
    deadline = time.monotonic() + 5
    while not twilio.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.status for r in twilio.requests] == [ABANDONED]
    assert twilio.messages == []
    assert post_text(twilio) == 201  # only the next one hung
    assert len(twilio.messages) == 1


def test_a_hung_request_still_waited_for_is_answered(twilio):
    twilio.hang_next(0.3)
    assert post_text(twilio, timeout=5) == 201
    assert len(twilio.messages) == 1


def test_twilio_faults_are_cleared(twilio):
    twilio.fail_next(500, times=5)
    twilio.hang_next(10, times=5)
    twilio.hang_seconds = 10
    twilio.clear_faults()
    assert post_text(twilio) == 201


def send_mail(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nhello\r\n")


def test_the_mail_server_goes_down_refuses_and_comes_back():
    smtp = FakeSMTP().start()
    try:
        send_mail(smtp.port)
        smtp.stop()
        with pytest.raises(ConnectionRefusedError):
            send_mail(smtp.port)
        smtp.start()
        smtp.fail_next("451 4.3.0 Try again later")
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send_mail(smtp.port)
        assert refused.value.smtp_code == 451
        send_mail(smtp.port)
        assert len(smtp.messages) == 2
    finally:
        smtp.stop()


def test_the_relay_takes_a_service_away_and_gives_it_back():
    upstream = socket.create_server(("127.0.0.1", 0))
    upstream.settimeout(5)
    relay = TcpRelay(upstream.getsockname()[:2])
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", relay.port), timeout=2)
        relay.start()
        with socket.create_connection(("127.0.0.1", relay.port), timeout=2) as client:
            served, _address = upstream.accept()
            client.sendall(b"PING\r\n")
            assert served.recv(100) == b"PING\r\n"
            served.sendall(b"+PONG\r\n")
            assert client.recv(100) == b"+PONG\r\n"
            relay.stop()
            assert client.recv(100) == b""  # cut
            served.close()
    finally:
        relay.stop()
        upstream.close()
