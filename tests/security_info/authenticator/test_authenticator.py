"""Adding an authenticator app, and signing in with its codes."""

import re

import pyotp
import pytest
from django.core import mail

from organizations.models import AuthenticationPolicy
from portal import crypto
from portal.delivery import _sender
from security_info.models import Method
from signins.models import SecurityEvent, SignInEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, add_phone, mark_strong_sign_in

ADD_URL = "/security-info/authenticator/add/"


def secret_on_page(response) -> str:
    return re.search(r'<code class="secret">([A-Z2-7]{32})</code>', response.content.decode())[1]


def test_the_page_shows_a_qr_code_and_the_key_for_manual_entry(sudo_client):
    response = sudo_client.get(ADD_URL)
    html = response.content.decode()
    assert "<svg" in html
    assert 'role="img"' in html
    secret = secret_on_page(response)
    assert f"otpauth://totp/My%20Account:alice%40northwind.example?secret={secret}" in html


def test_it_adds_the_app_when_the_code_is_right(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    secret = secret_on_page(sudo_client.get(ADD_URL))
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(
            ADD_URL, {"name": "Work phone", "code": pyotp.TOTP(secret).now()}
        )
    assert response.status_code == 302
    method = Method.objects.get(user=alice)
    assert (method.kind, method.name, method.is_default) == ("authenticator", "Work phone", True)
    assert secret not in method.secret  # encrypted at rest
    assert crypto.decrypt(method.secret) == secret
    assert SecurityEvent.objects.get(user=alice).kind == SecurityEvent.Kind.METHOD_ADDED
    assert mail.outbox[-1].to == ["alice@northwind.example"]
    assert "Sign-in method added" in mail.outbox[-1].subject


def test_a_wrong_code_adds_nothing(sudo_client, alice):
    sudo_client.get(ADD_URL)
    response = sudo_client.post(ADD_URL, {"name": "Phone", "code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not Method.objects.exists()
    assert not SecurityEvent.objects.exists()


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "１２３４５６", "1234567"])
def test_malformed_codes_get_a_message(sudo_client, code):
    sudo_client.get(ADD_URL)
    response = sudo_client.post(ADD_URL, {"name": "Phone", "code": code})
    assert response.status_code == 200
    assert not Method.objects.exists()


def test_a_blank_name_is_refused(sudo_client):
    secret = secret_on_page(sudo_client.get(ADD_URL))
    response = sudo_client.post(ADD_URL, {"name": "   ", "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    assert not Method.objects.exists()


def test_a_post_without_a_pending_setup_adds_nothing(sudo_client):
    response = sudo_client.post(ADD_URL, {"name": "Phone", "code": "123456"})
    assert response.status_code == 200
    assert not Method.objects.exists()


def test_five_apps_is_the_limit(sudo_client, alice):
    for n in range(5):
        add_authenticator(alice, name=f"App {n}")
    response = sudo_client.get(ADD_URL)
    assert response.status_code == 302
    assert Method.objects.count() == 5


def test_the_policy_can_switch_apps_off(sudo_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_authenticator=False)
    response = sudo_client.get(ADD_URL, follow=True)
    assert "does not allow" in response.content.decode()


def test_it_needs_a_recent_strong_sign_in(client, alice):
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    response = client.get(ADD_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/security-info/verify/")


# Signing in with the app ---------------------------------------------------------------------


def post_password(client, email="alice@northwind.example"):
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


def test_a_password_alone_is_not_enough_once_an_app_is_registered(client, alice):
    add_authenticator(alice)
    response = post_password(client)
    assert response["Location"] == "/accounts/verify/"
    assert client.get("/").status_code == 302  # not signed in yet
    page = client.get("/accounts/verify/").content.decode()
    assert "Enter the code shown in your authenticator app (Phone)" in page
    assert 'href="/accounts/recovery-code/"' in page  # the fallbacks
    assert 'href="/accounts/temporary-pass/"' in page


def test_the_right_code_signs_in_and_is_recorded(client, alice):
    method, app = add_authenticator(alice)
    post_password(client)
    response = client.post("/accounts/verify/", {"code": app.now()})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    event = SignInEvent.objects.get(result="success")
    assert (event.method, event.second_factor) == ("password", "authenticator")
    method.refresh_from_db()
    assert method.last_used_at is not None


def test_a_code_is_never_accepted_twice(client, alice):
    _method, app = add_authenticator(alice)
    code = app.now()
    post_password(client)
    client.post("/accounts/verify/", {"code": code})
    client.post("/accounts/logout/")
    post_password(client)
    response = client.post("/accounts/verify/", {"code": code})
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    assert client.get("/").status_code == 302


def test_codes_from_one_step_either_side_are_accepted(client, alice, time_machine):
    _method, app = add_authenticator(alice)
    time_machine.move_to("2026-11-26 12:00:10+00:00", tick=False)
    previous = app.at(1_795_000_000)  # any fixed old code is refused
    post_password(client)
    assert client.post("/accounts/verify/", {"code": previous}).status_code == 200
    late_code = app.now()
    time_machine.shift(30)
    assert client.post("/accounts/verify/", {"code": late_code}).status_code == 302


def test_a_wrong_code_is_recorded_and_five_end_the_attempt(client, alice):
    add_authenticator(alice)
    post_password(client)
    for _ in range(4):
        response = client.post("/accounts/verify/", {"code": "000000"})
        assert response.status_code == 200
    response = client.post("/accounts/verify/", {"code": "000000"})
    assert response["Location"] == "/accounts/login/"
    failures = SignInEvent.objects.filter(result="failure")
    assert failures.count() == 5
    assert sorted(e.reason for e in failures) == ["invalid_code"] * 4 + ["too_many_codes"]
    assert {e.second_factor for e in failures} == {"authenticator"}
    assert client.get("/accounts/verify/")["Location"] == "/accounts/login/"


def test_the_verify_page_without_a_pending_sign_in_goes_back_to_sign_in(client, db):
    assert client.get("/accounts/verify/")["Location"] == "/accounts/login/"
    assert client.post("/accounts/verify/", {"code": "123456"})["Location"] == "/accounts/login/"


def test_cancelling_returns_to_the_sign_in_page(client, alice):
    add_authenticator(alice)
    post_password(client)
    assert client.post("/accounts/verify/cancel/")["Location"] == "/accounts/login/"
    assert client.get("/accounts/verify/")["Location"] == "/accounts/login/"


def test_the_browser_can_be_remembered_when_the_policy_allows(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, remember_browser_days=7)
    _method, app = add_authenticator(alice)
    post_password(client)
    assert "for 7 days" in client.get("/accounts/verify/").content.decode()
    client.post("/accounts/verify/", {"code": app.now(), "remember": "1"})
    client.post("/accounts/logout/")
    assert post_password(client)["Location"] == "/"


def test_a_remembered_browser_is_forgotten_when_the_password_changes(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, remember_browser_days=7)
    _method, app = add_authenticator(alice)
    post_password(client)
    client.post("/accounts/verify/", {"code": app.now(), "remember": "1"})
    client.post("/accounts/logout/")
    alice.set_password(PASSWORD)  # a new hash, even for the same password
    alice.save()
    assert post_password(client)["Location"] == "/accounts/verify/"


def test_without_the_policy_the_remember_box_is_ignored(client, alice):
    _method, app = add_authenticator(alice)
    post_password(client)
    response = client.post("/accounts/verify/", {"code": app.now(), "remember": "1"})
    assert "mfa_trusted" not in response.cookies


def test_code_checks_are_rate_limited_per_account(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_code": "2/15m/key"}
    _method, app = add_authenticator(alice)
    post_password(client)
    client.post("/accounts/verify/", {"code": "000000"})
    client.post("/accounts/verify/", {"code": "000001"})
    response = client.post("/accounts/verify/", {"code": app.now()})  # right, but too many tries
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
    assert client.get("/").status_code == 302
    assert SignInEvent.objects.filter(reason="rate_limited").count() == 1


def test_a_code_that_cannot_be_sent_is_explained_and_recorded(client, alice, settings):

    add_phone(alice, channel="sms", is_default=True)
    settings.PHONE_BACKEND = "none"  # texts were switched off since the phone was added

    _sender.cache_clear()
    post_password(client)
    page = client.get("/accounts/verify/").content.decode()
    assert "Codes cannot be sent this way right now. Use another method." in page
    event = SignInEvent.objects.get(result="failure")
    assert (event.reason, event.second_factor) == ("send_failed", "mobile_phone:sms")
