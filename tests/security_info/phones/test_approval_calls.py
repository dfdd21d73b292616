"""Calls that ask to press # (or 0 to report them), through the real Twilio client to the local
fake Twilio, whose callbacks reach the portal as Twilio's would: signed, with no session."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from security_info.models import BlockedPhone, Method, PhoneCall
from signins.models import SecurityEvent, SignInEvent
from tests.fakes.twilio import FakeTwilio
from tests.security_info.conftest import add_phone, mark_strong_sign_in, start_sign_in
from tests.tasks import run_worker

MOBILE = "+447700900123"
NEW_MOBILE = "+447400123456"
VERIFY_URL = "/accounts/verify/"


def as_twilio(url: str, form: dict, signature: str) -> tuple[int, str]:
    """Post a callback the way Twilio does: no cookies, no CSRF token, its signature."""
    response = Client().post(urlsplit(url).path, form, HTTP_X_TWILIO_SIGNATURE=signature)
    return response.status_code, response.content.decode()


@pytest.fixture
def phone(alice):
    return add_phone(alice, MOBILE, channel="voice", is_default=True)


@pytest.fixture
def called(twilio, client, alice, phone):
    """Alice passed the password step; her phone is being called."""
    start_sign_in(client, alice)
    assert len(twilio.placed) == 1
    return twilio.placed[0]


def the_call() -> PhoneCall:
    return PhoneCall.objects.get()


# What the call says ---------------------------------------------------------------------------


def test_the_call_asks_for_a_key_and_reports_its_end(twilio, called):
    twiml = twilio.calls[0]["Twiml"]
    assert "<Gather" in twiml
    assert 'numDigits="1"' in twiml
    assert "press the pound key" in twiml
    assert "press zero to report it" in twiml
    assert "nothing was approved" in twiml  # said when no key is pressed
    assert called.gather_url.startswith("http://testserver/security-info/calls/")
    assert called.status_url.endswith("/status/")
    assert twilio.calls[0]["StatusCallbackMethod"] == "POST"
    # The token in the URLs is not kept: only its keyed hash is.
    token = urlsplit(called.gather_url).path.split("/")[3]
    assert token not in the_call().token_digest
    assert len(token) >= 40


def test_the_page_waits_on_the_call(called, client):
    html = client.get(VERIFY_URL).content.decode()
    assert (
        "We're calling <strong>+44 ••••••••23</strong>. Answer and press # to finish signing in."
        in html
    )
    assert f'data-call-status="/security-info/calls/{the_call().pk}/"' in html
    assert 'name="code"' not in html  # nothing to type
    assert client.get(f"/security-info/calls/{the_call().pk}/").json() == {
        "state": "calling",
        "finished": False,
    }


# Approving --------------------------------------------------------------------------------


def test_pressing_pound_signs_in_as_a_typed_code_would(twilio, called, client, alice, phone):
    status, twiml = twilio.press("#", post=as_twilio)

    assert status == 200
    assert "go back to your screen" in twiml
    assert client.get(f"/security-info/calls/{the_call().pk}/").json()["state"] == "approved"
    response = client.post(VERIFY_URL, {"call": "approved"})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200
    assert client.session["_auth_user_id"] == str(alice.pk)
    event = SignInEvent.objects.get(user=alice)
    assert (event.result, event.second_factor) == ("success", "mobile_phone:voice")
    phone.refresh_from_db()
    assert phone.last_used_at is not None
    assert the_call().state == PhoneCall.State.USED
    # The call's end afterwards changes nothing.
    assert twilio.end("completed", post=as_twilio)[0] == 204
    assert the_call().state == PhoneCall.State.USED


def test_continuing_before_the_call_is_approved_signs_nobody_in(called, client):
    response = client.post(VERIFY_URL, {"call": "approved"})
    assert response.status_code == 200
    assert "The call isn&#x27;t approved yet" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_replayed_key_changes_nothing(twilio, called, client):
    twilio.press("#", post=as_twilio)
    client.post(VERIFY_URL, {"call": "approved"})

    assert twilio.press("#", post=as_twilio)[0] == 409
    assert twilio.press("0", post=as_twilio)[0] == 409
    assert the_call().state == PhoneCall.State.USED
    assert not BlockedPhone.objects.exists()


def test_an_approval_is_used_once(twilio, called, client, alice):
    twilio.press("#", post=as_twilio)
    assert client.post(VERIFY_URL, {"call": "approved"}).status_code == 302
    client.post(VERIFY_URL, {"call": "approved"})
    assert SignInEvent.objects.filter(user=alice, result="success").count() == 1
    assert not PhoneCall.objects.filter(state=PhoneCall.State.APPROVED).exists()


def test_another_key_asks_again(twilio, called):
    status, twiml = twilio.press("5", post=as_twilio)
    assert status == 200
    assert "That key does nothing here" in twiml
    assert "<Gather" in twiml
    assert the_call().state == PhoneCall.State.CALLING


def test_an_expired_call_cannot_be_approved(twilio, called, client):
    PhoneCall.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert twilio.press("#", post=as_twilio)[0] == 409
    assert the_call().state == PhoneCall.State.CALLING
    assert client.get(f"/security-info/calls/{the_call().pk}/").json()["finished"] is True
    assert "ended before # was pressed" in client.get(VERIFY_URL).content.decode()


# Not answered -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ending", "said"),
    [
        ("no-answer", "wasn't answered"),
        ("busy", "was busy"),
        ("completed", "ended before # was pressed"),
        ("failed", "could not be made"),
    ],
)
def test_a_call_that_ends_without_pound_says_so_and_offers_another(
    twilio, called, client, phone, ending, said
):
    assert twilio.end(ending, post=as_twilio)[0] == 204

    assert client.get(f"/security-info/calls/{the_call().pk}/").json()["finished"] is True
    html = client.get(VERIFY_URL).content.decode()
    assert said in html
    assert "Call again" in html
    assert "_auth_user_id" not in client.session
    # Calling again works at once (no wait for a call that ended).
    client.post("/accounts/verify/switch/", {"option": f"{phone.pk}:voice"})
    assert len(twilio.placed) == 2


# Reporting ----------------------------------------------------------------------------------


def test_zero_reports_the_call_blocks_the_number_and_tells_everyone(
    twilio, called, client, alice, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        status, twiml = twilio.press("0", post=as_twilio)

    assert status == 200
    assert "your organization has been told" in twiml
    assert the_call().state == PhoneCall.State.REPORTED
    blocked = BlockedPhone.objects.get(user=alice, phone=MOBILE)
    assert abs(blocked.until - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    event = SecurityEvent.objects.get(user=alice, kind=SecurityEvent.Kind.CALL_REPORTED)
    assert MOBILE in event.detail
    assert event.ip is None  # it happened on the phone: Twilio's address says nothing
    sent = {tuple(message.to): message for message in mail.outbox}
    assert "did not expect" in sent[(alice.email,)].body
    assert "/password/reset/" in sent[(alice.email,)].body
    assert alice.email in sent[(admin_user.email,)].body
    assert "/admin/security_info/blockedphone/" in sent[(admin_user.email,)].body

    # The waiting page ends the sign-in and says why.
    response = client.get(VERIFY_URL, follow=True)
    assert "reported as unexpected" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failure = SignInEvent.objects.get(user=alice)
    assert (failure.result, failure.reason) == ("failure", "call_reported")

    # The number proves nothing until the block ends: no call goes out.
    start_sign_in(client, alice)
    html = client.get(VERIFY_URL).content.decode()
    assert "can&#x27;t be used to verify you" in html
    assert len(twilio.placed) == 1


def test_the_security_info_page_shows_the_block(client, alice, phone):
    until = timezone.now() + timedelta(days=90)
    BlockedPhone.objects.create(user=alice, phone=MOBILE, until=until)
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    html = client.get("/security-info/").content.decode()
    assert "Blocked for verification until" in html


def test_without_reports_zero_does_nothing(twilio, northwind, client, alice, phone):
    AuthenticationPolicy.objects.create(organization=northwind, call_fraud_reports=False)
    start_sign_in(client, alice)
    assert "press zero" not in twilio.calls[0]["Twiml"]
    _status, twiml = twilio.press("0", post=as_twilio)
    assert "That key does nothing here" in twiml
    assert not BlockedPhone.objects.exists()


def test_a_report_with_no_block_days_blocks_nothing(twilio, northwind, client, alice, phone):
    AuthenticationPolicy.objects.create(organization=northwind, call_block_days=0)
    start_sign_in(client, alice)
    twilio.press("0", post=as_twilio)
    assert the_call().state == PhoneCall.State.REPORTED
    assert not BlockedPhone.objects.exists()


def test_an_admin_unblocks_a_number(admin_client, alice):
    blocked = BlockedPhone.objects.create(
        user=alice, phone=MOBILE, until=timezone.now() + timedelta(days=90)
    )
    response = admin_client.post(
        f"/admin/security_info/blockedphone/{blocked.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not BlockedPhone.objects.exists()
    assert SecurityEvent.objects.filter(user=alice, kind=SecurityEvent.Kind.PHONE_UNBLOCKED)


# Bad callbacks ------------------------------------------------------------------------------


def test_a_forged_signature_is_refused_and_changes_nothing(twilio, called):
    forger = FakeTwilio(auth_token="not-the-auth-token")
    forger.placed = twilio.placed
    assert forger.press("#", post=as_twilio)[0] == 403
    assert forger.press("0", post=as_twilio)[0] == 403
    assert forger.end("no-answer", post=as_twilio)[0] == 403
    assert the_call().state == PhoneCall.State.CALLING
    assert not BlockedPhone.objects.exists()


def test_a_signature_over_other_fields_is_refused(twilio, called):
    form = called.form("in-progress") | {"Digits": "0"}
    signature = twilio.signature(called.gather_url, form | {"Digits": "#"})
    assert as_twilio(called.gather_url, form, signature)[0] == 403
    unsigned = Client().post(urlsplit(called.gather_url).path, form)
    assert unsigned.status_code == 403
    assert the_call().state == PhoneCall.State.CALLING


def test_an_unknown_token_is_not_found(twilio, called):
    url = called.gather_url.replace("/calls/", "/calls/x").rsplit("/answer/", 1)[0] + "/answer/"
    form = called.form("in-progress") | {"Digits": "#"}
    assert as_twilio(url, form, twilio.signature(url, form))[0] == 404
    assert Client().get(urlsplit(called.gather_url).path).status_code == 405
    assert the_call().state == PhoneCall.State.CALLING


# Who may follow a call ----------------------------------------------------------------------


def test_another_persons_call_is_not_found(called, bob):
    url = f"/security-info/calls/{the_call().pk}/"
    assert Client().get(url).status_code == 404
    other = Client()
    other.force_login(bob)
    assert other.get(url).status_code == 404
    assert Client().get("/security-info/calls/not-a-uuid/").status_code == 404


# Sudo mode and registering a phone --------------------------------------------------------


def test_sudo_mode_is_approved_by_pound(twilio, client, alice, phone):
    client.force_login(alice)
    client.post(
        "/security-info/verify/send/",
        {"option": f"{phone.pk}:voice", "send": "1", "next": "/security-info/"},
    )
    html = client.get("/security-info/verify/?next=/security-info/").content.decode()
    assert "Answer and press # to approve." in html
    twilio.press("#", post=as_twilio)
    response = client.post(
        "/security-info/verify/", {"call": "approved", "next": "/security-info/"}
    )
    assert response.url == "/security-info/"
    assert client.get("/security-info/").status_code == 200


def test_a_phone_is_registered_once_pound_is_pressed(twilio, client, alice):
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    client.post(
        "/security-info/phone/add/", {"region": "GB", "number": "07400 123456", "channel": "voice"}
    )
    assert "This number is being added" in twilio.calls[0]["Twiml"]
    html = client.get("/security-info/phone/verify/").content.decode()
    assert "Answer and press # to confirm the number." in html
    assert not Method.objects.filter(user=alice).exists()

    twilio.press("#", post=as_twilio)
    response = client.post("/security-info/phone/verify/", {"call": "approved"})

    assert response.url == "/security-info/"
    method = Method.objects.get(user=alice)
    assert (method.phone, method.channel) == (NEW_MOBILE, "voice")


def test_a_blocked_number_cannot_be_registered_again(twilio, client, alice, bob):
    BlockedPhone.objects.create(
        user=alice, phone=NEW_MOBILE, until=timezone.now() + timedelta(days=5)
    )
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    response = client.post(
        "/security-info/phone/add/", {"region": "GB", "number": "07400 123456", "channel": "sms"}
    )
    assert "can&#x27;t be used to verify you" in response.content.decode()
    assert twilio.requests == []
    # Another person's block is theirs alone.
    other = Client()
    other.force_login(bob)
    mark_strong_sign_in(other, bob)
    other.post(
        "/security-info/phone/add/", {"region": "GB", "number": "07400 123456", "channel": "sms"}
    )
    assert len(twilio.messages) == 1


# The policy's other choice -------------------------------------------------------------------


def test_read_a_code_keeps_the_old_call(twilio, northwind, client, alice, phone):
    AuthenticationPolicy.objects.create(organization=northwind, call_verification="code")
    start_sign_in(client, alice)

    twiml = twilio.calls[0]["Twiml"]
    assert "<Gather" not in twiml
    assert "StatusCallback" not in twilio.calls[0]
    assert twilio.placed[0].gather_url == ""
    code = "".join(ch for ch in twiml.split("code is", 1)[1] if ch.isdigit())[:6]
    assert not PhoneCall.objects.exists()
    assert 'name="code"' in client.get(VERIFY_URL).content.decode()

    response = client.post(VERIFY_URL, {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


# Development ---------------------------------------------------------------------------------


def test_the_development_outbox_presses_the_keys(settings, client, alice, phone):
    settings.DEV_OUTBOX = True  # PHONE_BACKEND is "console", as in development
    start_sign_in(client, alice)
    html = client.get("/dev/outbox/").content.decode()
    assert "Press #" in html
    keys_url = re.search(r'action="(http://testserver/security-info/calls/[^"]+/answer/)"', html)[1]

    response = client.post(urlsplit(keys_url).path, {"Digits": "#", "outbox": "1"})

    assert response.url == "/dev/outbox/"
    assert the_call().state == PhoneCall.State.APPROVED
    assert client.post(VERIFY_URL, {"call": "approved"}).status_code == 302


# With the worker --------------------------------------------------------------------------------


def test_with_a_queue_the_page_waits_for_the_call_to_go_out(queue, twilio, client, alice, phone):
    start_sign_in(client, alice)
    assert twilio.placed == []
    assert "Placing a call to" in client.get(VERIFY_URL).content.decode()

    run_worker()

    assert len(twilio.placed) == 1
    assert "Answer and press # to finish signing in" in client.get(VERIFY_URL).content.decode()
    twilio.press("#", post=as_twilio)
    assert client.post(VERIFY_URL, {"call": "approved"}).status_code == 302
