"""Rate limits: how attempts are counted, refused, and answered (portal/ratelimits.py)."""

import base64
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils import translation

from portal import ratelimits
from portal.checks import check_kernel_settings
from portal.middleware import RateLimitMiddleware
from portal.ratelimits import RateLimited
from portal.views import too_many_requests
from security_info.models import Method
from signins.models import SignInEvent
from tests.security_info.conftest import mark_strong_sign_in

START = 1_767_225_600  # 2026-01-01 00:00:00 UTC


@pytest.fixture
def frozen(time_machine):
    """Stop the clock at START; tests move it on by hand with `frozen.shift(seconds)`."""
    time_machine.move_to(START, tick=False)
    return time_machine


def limit(settings, **rates):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}


def anonymous(rf, ip="192.0.2.10"):
    request = rf.post("/", REMOTE_ADDR=ip)
    request.user = AnonymousUser()
    return request


def signed_in(rf, user, ip="192.0.2.10"):
    request = rf.post("/", REMOTE_ADDR=ip)
    request.user = user
    return request


def refused(request, action, key=None, **kwargs) -> RateLimited | None:
    """Make one attempt; return the RateLimited it raised, or None if it was let through."""
    try:
        ratelimits.consume(request, action, key, **kwargs)
    except RateLimited as limited:
        return limited
    return None


def basic(email, password):
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# Reading the rates.


@pytest.mark.parametrize(
    "spec",
    ["5/m", "5/m/ip/more", "five/m/ip", "5/1.5m/ip", "5/w/ip", "5//ip", "5/m/everyone"],
)
def test_it_refuses_an_unreadable_rate_and_names_the_action(settings, rf, spec):
    limit(settings, broken_action=spec)
    with pytest.raises(ImproperlyConfigured, match=r"RATE_LIMITS\['broken_action'\]"):
        ratelimits.rates("broken_action")
    with pytest.raises(ImproperlyConfigured, match="broken_action"):
        ratelimits.consume(anonymous(rf), "broken_action")


@pytest.mark.parametrize("spec", ["-1/m/ip", "5/0m/ip", "5/-2m/ip"])
def test_it_refuses_a_negative_amount_or_an_empty_period(settings, spec):
    limit(settings, broken_action=spec)
    with pytest.raises(ImproperlyConfigured, match="broken_action"):
        ratelimits.rates("broken_action")


def test_it_refuses_an_action_without_rates(rf, db):
    with pytest.raises(ImproperlyConfigured, match="'no_such_action'"):
        ratelimits.consume(anonymous(rf), "no_such_action")
    with pytest.raises(ImproperlyConfigured, match="'no_such_action'"):
        ratelimits.clear(anonymous(rf), "no_such_action")


def test_it_reads_every_rate_of_an_action_with_its_period_in_seconds(settings):
    limit(settings, reading="20/h/ip, 5/15m/key,3/2d/user,7/s/ip")
    assert [(r.amount, r.seconds, r.scope) for r in ratelimits.rates("reading")] == [
        (20, 3600, "ip"),
        (5, 900, "key"),
        (3, 2 * 24 * 3600, "user"),
        (7, 1, "ip"),
    ]


# Counting and refusing.


def test_it_refuses_the_attempt_after_the_last_allowed_one_with_the_real_wait(settings, rf, frozen):
    limit(settings, x="2/m/ip")
    request = anonymous(rf)
    assert refused(request, "x") is None
    frozen.shift(20)
    assert refused(request, "x") is None
    frozen.shift(10)

    limited = refused(request, "x")

    assert limited is not None
    assert limited.action == "x"
    # The first attempt, 30 s ago, stops counting 30 s from now.
    assert limited.retry_after == 30


def test_it_lets_attempts_through_again_once_the_window_has_passed(settings, rf, frozen):
    limit(settings, x="2/m/ip")
    request = anonymous(rf)
    refused(request, "x")
    frozen.shift(20)
    refused(request, "x")
    frozen.shift(10)
    assert refused(request, "x").retry_after == 30

    frozen.shift(29)
    assert refused(request, "x").retry_after == 1  # one second early: still refused
    frozen.shift(1.5)
    assert refused(request, "x") is None  # the first attempt has left the window
    # The second attempt (at 20 s) and this one fill the window again until 80 s.
    limited = refused(request, "x")
    assert limited is not None
    assert limited.retry_after == 20


def test_refused_attempts_do_not_prolong_the_wait(settings, rf, frozen):
    limit(settings, x="1/m/ip")
    request = anonymous(rf)
    refused(request, "x")
    for _ in range(5):
        frozen.shift(10)
        assert refused(request, "x") is not None
    frozen.shift(10.5)
    assert refused(request, "x") is None


def test_it_counts_a_key_rate_per_key(settings, rf, db):
    limit(settings, x="2/m/key")
    request = anonymous(rf)
    assert refused(request, "x", "alice@northwind.example") is None
    assert refused(request, "x", "alice@northwind.example") is None
    assert refused(request, "x", "alice@northwind.example") is not None
    # Another key has its own count, from the same client.
    assert refused(request, "x", "bob@northwind.example") is None
    assert refused(request, "x", "bob@northwind.example") is None
    assert refused(request, "x", "bob@northwind.example") is not None


def test_it_skips_a_key_rate_when_there_is_no_key(settings, rf, db):
    limit(settings, x="1/m/key")
    request = anonymous(rf)
    for _ in range(5):
        assert refused(request, "x") is None
    # …and those attempts were not counted against any key.
    assert refused(request, "x", "alice@northwind.example") is None


def test_it_counts_a_user_rate_per_signed_in_user(settings, rf, alice, bob):
    limit(settings, x="2/m/user")
    assert refused(signed_in(rf, alice, ip="192.0.2.1"), "x") is None
    assert refused(signed_in(rf, alice, ip="198.51.100.2"), "x") is None
    # Alice's count follows her to a third address.
    assert refused(signed_in(rf, alice, ip="203.0.113.3"), "x") is not None
    # Bob, from her first address, still has his own.
    assert refused(signed_in(rf, bob, ip="192.0.2.1"), "x") is None


def test_it_skips_a_user_rate_for_anonymous_visitors(settings, rf, db):
    limit(settings, x="1/m/user")
    for _ in range(5):
        assert refused(anonymous(rf), "x") is None


def test_it_counts_an_ip_rate_per_client_address(settings, rf, db):
    limit(settings, x="2/m/ip")
    assert refused(anonymous(rf, "192.0.2.10"), "x") is None
    assert refused(anonymous(rf, "192.0.2.10"), "x") is None
    assert refused(anonymous(rf, "192.0.2.10"), "x") is not None
    # The next address along is another client.
    assert refused(anonymous(rf, "192.0.2.11"), "x") is None


def test_it_counts_an_ip_rate_for_the_whole_ipv6_slash_64(settings, rf, db):
    limit(settings, x="2/m/ip")
    assert refused(anonymous(rf, "2001:db8:1:2::1"), "x") is None
    assert refused(anonymous(rf, "2001:db8:1:2:ffff:ffff:ffff:fffe"), "x") is None
    # A third address in the same /64 shares the count.
    assert refused(anonymous(rf, "2001:db8:1:2:abcd::9"), "x") is not None
    # The neighbouring /64 does not.
    assert refused(anonymous(rf, "2001:db8:1:3::1"), "x") is None
    assert refused(anonymous(rf, "2001:db8:1:3::2"), "x") is None


def test_each_attempt_counts_against_every_rate_of_the_action(settings, rf, db):
    limit(settings, x="3/m/ip,1/m/key")
    request = anonymous(rf)
    assert refused(request, "x", "alice@northwind.example") is None
    assert refused(request, "x", "alice@northwind.example") is not None  # the key's rate
    assert refused(request, "x", "bob@northwind.example") is None
    # Three attempts from this address so far: its rate is used up whatever the key.
    limited = refused(request, "x", "charlie@tailspin.example")
    assert limited is not None
    assert limited.action == "x"


def test_a_dry_run_counts_nothing(settings, rf, db):
    limit(settings, x="2/m/ip,2/m/key,2/m/user")
    request = anonymous(rf)
    for _ in range(5):
        assert refused(request, "x", "alice@northwind.example", dry_run=True) is None
    assert refused(request, "x", "alice@northwind.example") is None
    assert refused(request, "x", "alice@northwind.example") is None
    assert refused(request, "x", "alice@northwind.example") is not None


def test_a_dry_run_tells_when_an_attempt_would_be_refused(settings, rf, frozen):
    limit(settings, x="1/m/ip")
    request = anonymous(rf)
    refused(request, "x")
    frozen.shift(15)
    limited = refused(request, "x", dry_run=True)
    assert limited is not None
    assert limited.retry_after == 45


def test_a_zero_rate_refuses_every_attempt(settings, rf, db):
    limit(settings, x="0/15m/key")
    request = anonymous(rf)
    for key in ["+447700900123", "+447700900124"]:
        limited = refused(request, "x", key)
        assert limited is not None
        assert limited.retry_after == 15 * 60
        assert refused(request, "x", key, dry_run=True) is not None
    # Without a key, the key rate does not apply at all.
    assert refused(request, "x") is None


def test_clear_forgets_the_counts_of_this_client_and_key(settings, rf, db):
    limit(settings, x="1/m/ip,1/m/key")
    request = anonymous(rf)
    assert refused(request, "x", "alice@northwind.example") is None
    assert refused(request, "x", "alice@northwind.example") is not None
    ratelimits.clear(request, "x", "alice@northwind.example")
    assert refused(request, "x", "alice@northwind.example") is None
    assert refused(request, "x", "alice@northwind.example") is not None


def test_clear_leaves_other_clients_counts_alone(settings, rf, db):
    limit(settings, x="1/m/ip")
    refused(anonymous(rf, "192.0.2.10"), "x")
    refused(anonymous(rf, "192.0.2.11"), "x")
    ratelimits.clear(anonymous(rf, "192.0.2.10"), "x")
    assert refused(anonymous(rf, "192.0.2.10"), "x") is None
    assert refused(anonymous(rf, "192.0.2.11"), "x") is not None


def test_clear_accepts_a_zero_rate(settings, rf, db):
    limit(settings, x="0/15m/key")
    ratelimits.clear(anonymous(rf), "x", "alice@northwind.example")
    assert refused(anonymous(rf), "x", "alice@northwind.example") is not None


def test_reset_all_forgets_every_count(settings, rf, db):
    limit(settings, x="1/m/ip", y="1/m/key")
    refused(anonymous(rf), "x")
    refused(anonymous(rf), "y", "k")
    ratelimits.reset_all()
    assert refused(anonymous(rf), "x") is None
    assert refused(anonymous(rf), "y", "k") is None


# Saying how long to wait.


@pytest.mark.parametrize(
    ("seconds", "wait"),
    [
        (1, "1 second."),
        (59, "59 seconds."),
        (60, "1 minute."),
        (61, "2 minutes."),
        (900, "15 minutes."),
        (119 * 60, "119 minutes."),
        (119 * 60 + 1, "2 hours."),
        (2 * 3600, "2 hours."),
        (5 * 3600 + 1, "6 hours."),
        (24 * 3600, "24 hours."),
    ],
)
def test_the_message_says_seconds_then_minutes_then_hours(seconds, wait):
    with translation.override("en"):
        message = RateLimited("x", seconds).message
    assert message == f"For your security we have paused this for now. Try again in {wait}"


# The answer: a page, or JSON.


def test_the_middleware_answers_a_rate_limit_and_nothing_else(rf, db):
    middleware = RateLimitMiddleware(lambda request: HttpResponse())
    request = rf.get("/", HTTP_ACCEPT="application/json")
    request.user = AnonymousUser()
    assert middleware.process_exception(request, ValueError("unrelated")) is None
    response = middleware.process_exception(request, RateLimited("x", 42))
    assert response.status_code == 429
    assert response["Retry-After"] == "42"


def test_too_many_requests_answers_json_to_a_client_that_accepts_it(rf, db):
    request = rf.get("/", HTTP_ACCEPT="application/json")
    request.user = AnonymousUser()
    with translation.override("en"):
        response = too_many_requests(request, RateLimited("x", 90))
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "error": "rate_limited",
        "message": "For your security we have paused this for now. Try again in 2 minutes.",
        "retry_after": 90,
    }
    assert response["Retry-After"] == "90"
    assert response["Cache-Control"] == "no-store"


def test_a_limited_script_gets_json_with_the_wait(settings, alice_client, frozen):
    limit(settings, strength_check="1/m/ip")

    def check():
        return alice_client.post(
            "/password/strength/", {"password": "x"}, content_type="application/json"
        )

    assert check().status_code == 200
    frozen.shift(15)
    response = check()

    assert response.status_code == 429
    assert response.json() == {
        "error": "rate_limited",
        "message": "For your security we have paused this for now. Try again in 45 seconds.",
        "retry_after": 45,
    }
    assert response["Retry-After"] == "45"
    assert response["Cache-Control"] == "no-store"


def test_a_limited_anonymous_page_says_too_many_attempts_in_the_entrance_layout(
    settings, client, northwind, frozen
):
    limit(settings, login="1/m/ip")
    data = {"login": "someone@northwind.example", "password": "x"}
    assert client.post("/accounts/login/", data).status_code == 200  # a wrong password

    frozen.shift(5)
    response = client.post("/accounts/login/", data)

    assert response.status_code == 429
    assert response["Retry-After"] == "55"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Too many attempts" in page
    assert "Try again in 55 seconds." in page
    assert 'class="entrance"' in page
    assert 'id="portal-nav"' not in page
    assert SignInEvent.objects.first().reason == SignInEvent.Reason.RATE_LIMITED


def test_a_limited_signed_in_page_says_too_many_attempts_in_the_portal_layout(
    settings, alice_client, alice
):
    limit(settings, send_code_to="0/15m/key")
    mark_strong_sign_in(alice_client, alice)  # Security info opens in sudo mode only

    response = alice_client.post(
        "/security-info/phone/add/",
        {"region": "GB", "number": "07400 123456", "channel": "sms"},
    )

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Too many attempts" in page
    assert "Try again in 15 minutes." in page
    assert 'id="portal-nav"' in page
    assert 'class="entrance"' not in page
    assert not Method.objects.filter(user=alice).exists()


def test_a_limited_api_call_gets_the_same_json(settings, client, alice, frozen):
    limit(settings, check_app_password="1/m/ip")
    credentials = basic("alice@northwind.example", "abcd-efgh-ijkl-mnop")
    assert client.get("/api/me", **credentials).status_code == 401

    frozen.shift(1)
    response = client.get("/api/me", **credentials)

    assert response.status_code == 429
    assert response.json() == {
        "error": "rate_limited",
        "message": "For your security we have paused this for now. Try again in 59 seconds.",
        "retry_after": 59,
    }
    assert response["Retry-After"] == "59"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("spec", ["", " ", ","])
def test_it_refuses_an_action_whose_rates_are_empty(settings, spec):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "empty": spec}
    with pytest.raises(ImproperlyConfigured, match="empty"):
        ratelimits.rates("empty")


def test_an_ipv4_client_is_one_client_however_its_address_is_written(settings, rf, db):
    limit(settings, x="1/m/ip")
    assert refused(anonymous(rf, "192.0.2.7"), "x") is None
    assert refused(anonymous(rf, "::ffff:192.0.2.7"), "x") is not None


def test_a_bad_rate_stops_the_process_at_the_system_checks(settings):
    limit(settings, login="30/m/nowhere")
    errors = check_kernel_settings(None)
    assert [error.id for error in errors] == ["portal.E001"]
    assert "login" in errors[0].msg
