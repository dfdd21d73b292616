"""The email method: a personal address for password reset, proved by an emailed code."""

import re
import time

import pytest
from django.core import mail

from organizations.models import AuthenticationPolicy
from security_info.models import Method
from signins.models import SecurityEvent
from tests.fakes.smtp import refuse_smtp, serve_fake_smtp
from tests.security_info.conftest import (
    PERSONAL_EMAIL,
    add_authenticator,
    add_email,
    mark_strong_sign_in,
)

ADD_URL = "/security-info/email/add/"
VERIFY_URL = "/security-info/email/verify/"
RESEND_URL = "/security-info/email/verify/resend/"
PERSONAL = PERSONAL_EMAIL


def change_url(method) -> str:
    return f"/security-info/email/{method.pk}/change/"


def code_sent_to(address: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"\b(\d{6})\b", message.body)[1]


def wrong_code(address: str = PERSONAL) -> str:
    return "000000" if code_sent_to(address) != "000000" else "111111"


def test_it_adds_the_address_once_the_emailed_code_is_entered(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    assert sudo_client.get(ADD_URL).status_code == 200
    response = sudo_client.post(ADD_URL, {"email": PERSONAL})
    assert response.url == VERIFY_URL
    assert not Method.objects.exists()  # nothing until the code comes back
    assert PERSONAL in sudo_client.get(VERIFY_URL).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(VERIFY_URL, {"code": code_sent_to(PERSONAL)})
    assert response.url == "/security-info/"
    method = Method.objects.get(user=alice)
    assert (method.kind, method.email, method.is_default) == ("email", PERSONAL, False)
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.detail) == (SecurityEvent.Kind.METHOD_ADDED, f"Email: {PERSONAL}")
    assert mail.outbox[-1].to == ["alice@northwind.example"]  # the notice goes to the work address


def test_a_wrong_code_adds_nothing(sudo_client):
    sudo_client.post(ADD_URL, {"email": PERSONAL})
    response = sudo_client.post(VERIFY_URL, {"code": wrong_code()})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not Method.objects.exists()


def test_an_expired_code_adds_nothing_and_starts_over(sudo_client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    mark_strong_sign_in(sudo_client, alice)
    sudo_client.post(ADD_URL, {"email": PERSONAL})
    time_machine.shift(11 * 60)
    mark_strong_sign_in(sudo_client, alice)
    response = sudo_client.post(VERIFY_URL, {"code": code_sent_to(PERSONAL)})
    assert response.url == ADD_URL
    assert "This code has expired" in sudo_client.get(ADD_URL).content.decode()
    assert not Method.objects.exists()


def test_five_wrong_codes_end_the_challenge(sudo_client):
    sudo_client.post(ADD_URL, {"email": PERSONAL})
    code, wrong = code_sent_to(PERSONAL), wrong_code()
    for _ in range(4):
        assert sudo_client.post(VERIFY_URL, {"code": wrong}).status_code == 200

    response = sudo_client.post(VERIFY_URL, {"code": wrong})

    assert response.url == ADD_URL
    assert "Too many wrong codes" in sudo_client.get(ADD_URL).content.decode()
    assert sudo_client.post(VERIFY_URL, {"code": code}).url == "/security-info/"
    assert not Method.objects.exists()


def test_a_challenge_ended_by_wrong_codes_is_not_sent_again(sudo_client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    mark_strong_sign_in(sudo_client, alice)
    sudo_client.post(ADD_URL, {"email": PERSONAL})
    for _ in range(5):
        sudo_client.post(VERIFY_URL, {"code": wrong_code()})
    time_machine.shift(31)
    mark_strong_sign_in(sudo_client, alice)

    assert sudo_client.post(RESEND_URL).url == "/security-info/"
    assert len([m for m in mail.outbox if m.to == [PERSONAL]]) == 1


def test_a_wrong_change_code_goes_back_to_the_change_form(sudo_client, alice):
    method = add_email(alice, "old@example.com")
    sudo_client.post(change_url(method), {"email": "new@example.com"})
    wrong = wrong_code("new@example.com")
    for _ in range(4):
        sudo_client.post(VERIFY_URL, {"code": wrong})
    assert sudo_client.post(VERIFY_URL, {"code": wrong}).url == change_url(method)
    method.refresh_from_db()
    assert method.email == "old@example.com"


def test_checking_codes_is_rate_limited(sudo_client, settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"check_code": "1/15m/key"}
    sudo_client.post(ADD_URL, {"email": PERSONAL})
    sudo_client.post(VERIFY_URL, {"code": wrong_code()})
    response = sudo_client.post(VERIFY_URL, {"code": code_sent_to(PERSONAL)})
    assert response.status_code == 429
    assert not Method.objects.exists()


def test_codes_checked_at_sign_in_and_here_share_one_limit(sudo_client, alice, settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"check_code": "2/15m/key"}
    add_authenticator(alice)
    sudo_client.post("/security-info/verify/", {"code": "000000"})  # re-verifying, wrongly
    sudo_client.post(ADD_URL, {"email": PERSONAL})
    sudo_client.post(VERIFY_URL, {"code": wrong_code()})
    assert sudo_client.post(VERIFY_URL, {"code": code_sent_to(PERSONAL)}).status_code == 429


def test_a_new_code_can_be_sent_after_half_a_minute(sudo_client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    mark_strong_sign_in(sudo_client, alice)
    sudo_client.post(ADD_URL, {"email": PERSONAL})
    first = code_sent_to(PERSONAL)
    response = sudo_client.post(RESEND_URL, follow=True)
    assert "A code was just sent" in response.content.decode()
    time_machine.shift(31)
    sudo_client.post(RESEND_URL)
    assert len([m for m in mail.outbox if m.to == [PERSONAL]]) == 2
    if code_sent_to(PERSONAL) != first:
        response = sudo_client.post(VERIFY_URL, {"code": first})
        assert "That code is not right" in response.content.decode()
    sudo_client.post(VERIFY_URL, {"code": code_sent_to(PERSONAL)})
    assert Method.objects.filter(user=alice, email=PERSONAL).exists()


def test_the_code_goes_out_through_an_smtp_server(sudo_client, alice, settings):
    with serve_fake_smtp(settings) as smtp:
        response = sudo_client.post(ADD_URL, {"email": PERSONAL})
        assert response.url == VERIFY_URL
        [message] = smtp.messages
    assert message["To"] == PERSONAL
    code = re.search(r"\b(\d{6})\b", message.get_content())[1]
    sudo_client.post(VERIFY_URL, {"code": code})
    assert Method.objects.filter(user=alice, kind="email", email=PERSONAL).exists()


def test_a_mail_server_that_is_down_gets_a_message_and_stores_nothing(sudo_client, settings):
    refuse_smtp(settings)
    response = sudo_client.post(ADD_URL, {"email": PERSONAL})
    assert response.status_code == 200
    assert "We could not send the code" in response.content.decode()
    assert not Method.objects.exists()
    assert not SecurityEvent.objects.exists()
    assert sudo_client.get(VERIFY_URL).url == "/security-info/"  # no code is pending


@pytest.mark.parametrize(
    "address",
    [
        "alice@northwind.example",
        "ALICE@Northwind.Example",
        "bob@northwind.example",  # a colleague's: refused for its domain, the same way
        "nobody@northwind.example",
        "alice@mail.northwind.example",
    ],
)
def test_a_work_address_is_refused(sudo_client, address, bob):
    response = sudo_client.post(ADD_URL, {"email": address})
    assert response.status_code == 200
    assert (
        "This email address can&#x27;t be your work or school email." in response.content.decode()
    )
    assert not mail.outbox
    assert not Method.objects.exists()


def test_an_address_another_organization_uses_as_a_login_is_not_revealed(sudo_client, charlie):
    response = sudo_client.post(ADD_URL, {"email": "charlie@tailspin.example"})
    assert response.url == VERIFY_URL


@pytest.mark.parametrize(
    "address", ["", "not-an-address", "a@b@example.com", "x" * 250 + "@example.com"]
)
def test_malformed_addresses_get_a_message(sudo_client, address):
    response = sudo_client.post(ADD_URL, {"email": address})
    assert response.status_code == 200
    assert not mail.outbox


def test_a_second_email_method_cannot_be_added(sudo_client, alice):
    add_email(alice)
    response = sudo_client.get(ADD_URL, follow=True)
    assert response.redirect_chain[-1][0] == "/security-info/"
    assert "You can have only 1 of this method, and you have it." in response.content.decode()


def test_changing_keeps_the_old_address_until_the_new_one_is_verified(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    method = add_email(alice, "old@example.com")
    assert "old@example.com" in sudo_client.get(change_url(method)).content.decode()
    response = sudo_client.post(change_url(method), {"email": "new@example.com"})
    assert response.url == VERIFY_URL
    method.refresh_from_db()
    assert method.email == "old@example.com"

    with django_capture_on_commit_callbacks(execute=True):
        sudo_client.post(VERIFY_URL, {"code": code_sent_to("new@example.com")})
    method.refresh_from_db()
    assert method.email == "new@example.com"
    assert Method.objects.filter(user=alice).count() == 1
    assert SecurityEvent.objects.get(user=alice).kind == SecurityEvent.Kind.METHOD_CHANGED


def test_changing_to_the_same_address_is_refused(sudo_client, alice):
    method = add_email(alice, "old@example.com")
    response = sudo_client.post(change_url(method), {"email": "OLD@example.com"})
    assert response.status_code == 200
    assert "already the address you use" in response.content.decode()
    assert not mail.outbox


def test_changing_to_a_work_address_is_refused(sudo_client, alice):
    method = add_email(alice, "old@example.com")
    response = sudo_client.post(change_url(method), {"email": "alice@northwind.example"})
    assert "can&#x27;t be your work or school email" in response.content.decode()


@pytest.mark.parametrize("owner", ["bob", "charlie"])
def test_someone_elses_email_method_is_not_found(sudo_client, owner, request):
    method = add_email(request.getfixturevalue(owner), "theirs@example.com")
    assert sudo_client.get(change_url(method)).status_code == 404
    assert sudo_client.post(change_url(method), {"email": "new@example.com"}).status_code == 404
    assert sudo_client.get("/security-info/email/abc/change/").status_code == 404


def test_another_method_kind_is_not_changed_here(sudo_client, alice):
    phone = Method.objects.create(user=alice, kind=Method.Kind.MOBILE_PHONE, phone="+447700900123")
    assert sudo_client.get(change_url(phone)).status_code == 404


def test_a_pending_phone_registration_is_not_an_email_one(sudo_client, alice):
    session = sudo_client.session
    session["security_info.challenge.register"] = {
        "purpose": "register",
        "user_id": alice.pk,
        "method_id": None,
        "kind": "mobile_phone",
        "channel": "sms",
        "destination": "+447700900123",
        "sent_at": 0.0,
    }
    session.save()
    assert sudo_client.get(VERIFY_URL).url == "/security-info/"
    assert not Method.objects.exists()


def test_nothing_to_verify_goes_back_to_security_info(sudo_client):
    response = sudo_client.post(VERIFY_URL, {"code": "123456"})
    assert response.url == "/security-info/"
    assert sudo_client.post(RESEND_URL).url == "/security-info/"


def test_when_the_policy_turns_email_off_it_cannot_be_added_or_changed(
    sudo_client, alice, northwind
):
    AuthenticationPolicy.objects.create(organization=northwind, allow_email=False)
    response = sudo_client.get(ADD_URL, follow=True)
    assert "Your organization does not allow this method." in response.content.decode()
    assert sudo_client.post(ADD_URL, {"email": PERSONAL}).url == "/security-info/"
    method = add_email(alice, "old@example.com")
    assert (
        sudo_client.post(change_url(method), {"email": "new@example.com"}).url == "/security-info/"
    )
    assert not mail.outbox


def test_the_page_lists_the_address_with_change_and_delete(sudo_client, alice):
    method = add_email(alice)
    html = sudo_client.get("/security-info/").content.decode()
    assert PERSONAL in html
    assert change_url(method) in html
    assert f"/security-info/methods/{method.pk}/delete/" in html


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ADD_URL),
        ("post", ADD_URL),
        ("get", VERIFY_URL),
        ("post", RESEND_URL),
        ("get", "change"),
    ],
)
def test_every_page_asks_to_verify_again_when_the_sign_in_is_old(client, alice, method, url):
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    if url == "change":
        url = change_url(add_email(alice))
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith("/security-info/verify/?next=")
    assert not mail.outbox
