"""Guessing second-factor codes stops: per session and address it is slowed, per account it is
capped (NIST SP 800-63B: at most 100 wrong in a row), and the right code from the user's own
place is never refused because of guesses from elsewhere."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from portal.delivery import recent_outbox
from security_info.models import SecondFactorFailures
from signins.models import SecurityEvent, SignInEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, add_phone

VERIFY = "/accounts/verify/"
HOME, ELSEWHERE = "198.51.100.7", "203.0.113.9"


def browser(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def sign_in(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def wrong_code(generator) -> str:
    return "000000" if generator.now() != "000000" else "111111"


@pytest.fixture
def app(alice):
    return add_authenticator(alice)[1]


def test_guesses_from_elsewhere_do_not_refuse_the_right_code(alice, app, settings):
    attacker = browser(ELSEWHERE)
    for _round in range(4):  # five wrong codes end a sign-in; the attacker signs in again
        sign_in(attacker, alice)
        for _guess in range(5):
            attacker.post(VERIFY, {"code": wrong_code(app)})
    # The rate limit from that address stops the guessing first; none counted past it.
    assert SecondFactorFailures.objects.get(user=alice).failures == 10

    user = browser(HOME)
    sign_in(user, alice)
    response = user.post(VERIFY, {"code": app.now()})
    assert response.status_code == 302
    assert user.session[SESSION_KEY] == str(alice.pk)


def test_the_account_locks_after_the_cap_and_the_user_is_told(
    alice, app, settings, django_capture_on_commit_callbacks
):
    settings.SECOND_FACTOR_MAX_FAILURES = 15
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_code": "1000/h/ip"}
    attacker = browser(ELSEWHERE)
    with django_capture_on_commit_callbacks(execute=True):
        for _round in range(4):
            sign_in(attacker, alice)
            for _guess in range(5):
                attacker.post(VERIFY, {"code": wrong_code(app)})
    row = SecondFactorFailures.objects.get(user=alice)
    assert row.failures == 15
    assert row.locked_at is not None
    event = SecurityEvent.objects.get(user=alice, kind=SecurityEvent.Kind.SIGN_IN_LOCKED)
    assert "15 wrong codes in a row" in event.detail
    assert [m.to for m in mail.outbox] == [[alice.email]]

    # Locked: even the right code, from the user's own place, is refused with the way out.
    user = browser(HOME)
    sign_in(user, alice)
    response = user.post(VERIFY, {"code": app.now()}, follow=True)
    assert SESSION_KEY not in user.session
    assert "Reset your password to unlock it" in response.content.decode()
    assert SignInEvent.objects.filter(user=alice, reason="locked_out").exists()


def test_a_locked_account_gets_no_codes_sent(alice):
    add_phone(alice, "+447400123456")
    SecondFactorFailures.objects.create(user=alice, failures=100, locked_at="2026-01-01T00:00Z")
    client = browser(HOME)
    sign_in(client, alice)
    assert recent_outbox() == []
    assert client.get(VERIFY).status_code == 302


def test_a_right_code_starts_the_count_again(alice, app):
    client = browser(HOME)
    sign_in(client, alice)
    client.post(VERIFY, {"code": wrong_code(app)})
    assert SecondFactorFailures.objects.get(user=alice).failures == 1
    client.post(VERIFY, {"code": app.now()})
    assert not SecondFactorFailures.objects.filter(user=alice).exists()


def test_a_new_password_lifts_the_lock(alice, admin_user):
    SecondFactorFailures.objects.create(user=alice, failures=100, locked_at="2026-01-01T00:00Z")
    admin = Client()
    admin.force_login(admin_user)
    admin.post(f"/admin/portal/user/{alice.pk}/password/")
    assert not SecondFactorFailures.objects.filter(user=alice).exists()


def test_sudo_guesses_count_and_a_locked_account_cannot_enter_sudo(alice, app, settings):
    settings.SECOND_FACTOR_MAX_FAILURES = 10
    client = browser(HOME)
    client.force_login(alice)
    for _guess in range(10):
        client.post("/security-info/verify/", {"code": wrong_code(app)})
    assert SecondFactorFailures.objects.get(user=alice).locked_at is not None
    response = client.get("/security-info/verify/", follow=True)
    assert "Reset your password to unlock it" in response.content.decode()


def test_after_five_wrong_app_codes_the_next_attempt_starts_afresh(alice, app):
    """Sudo: the fifth wrong code ends that attempt; the right one after it works."""
    client = browser(HOME)
    client.force_login(alice)
    for _guess in range(5):
        response = client.post("/security-info/verify/", {"code": wrong_code(app)})
    assert "Too many wrong codes" in response.content.decode()
    response = client.post("/security-info/verify/", {"code": app.now()})
    assert response.status_code == 302


def test_after_five_wrong_app_codes_a_new_sign_in_works(alice, app):
    client = browser(HOME)
    sign_in(client, alice)
    for _guess in range(5):
        client.post(VERIFY, {"code": wrong_code(app)})
    assert SESSION_KEY not in client.session
    sign_in(client, alice)
    client.post(VERIFY, {"code": app.now()})
    assert client.session[SESSION_KEY] == str(alice.pk)
