"""An app server whose Redis does not answer (its REDIS_URL names a port where nothing
listens): what needs the rate-limit counts answers 503 "temporarily unavailable", never 500,
and nothing goes ahead uncounted; /health/ names what is down. Once that port leads to Redis
again, the same server works, without a restart."""

import urllib.parse

import pytest

from tests.faults.flows import UNAVAILABLE, signed_in_with_app, start_sign_in
from tests.faults.relay import TcpRelay
from tests.faults.stack import wait_for

pytestmark = pytest.mark.stack


@pytest.fixture
def redis_gone(portal):
    """App server "c": the stack's settings, but Redis through a relay that is not running."""
    redis = urllib.parse.urlsplit(portal.redis_url)
    relay = TcpRelay((redis.hostname, redis.port or 6379))
    server = None
    try:
        server = portal.start_app_server(
            "c", REDIS_URL=f"redis://127.0.0.1:{relay.port}{redis.path or '/0'}"
        )
        yield server, relay
    finally:
        if server is not None:
            server.process.stop()
            del portal.servers["c"]
        relay.stop()


def assert_unavailable(page) -> None:
    assert page.status == 503, page
    assert page.headers["Retry-After"] == "30"
    assert page.says(UNAVAILABLE) or UNAVAILABLE in page.body, page


def test_without_redis_limited_actions_say_temporarily_unavailable(portal, redis_gone):
    server, relay = redis_gone
    user = portal.take_user("totp")
    signed_in = signed_in_with_app(portal, user).on(server)  # its session is in PostgreSQL
    stranger = portal.browser(server)

    health = stranger.get("/health/")
    assert health.status == 503
    assert health.body == "cache unavailable\nrate limits unavailable\n"

    # Signing in: the form shows, sending it is refused.
    form = stranger.get("/accounts/login/")
    assert form.status == 200, form
    assert_unavailable(
        stranger.post(
            "/accounts/login/",
            {"login": user["email"], "password": user["password"]},
            token=form.csrf_token(),
        )
    )
    # Starting a password reset.
    form = stranger.get("/password/reset/")
    assert form.status == 200, form
    assert_unavailable(
        stranger.post("/password/reset/", {"email": user["email"]}, token=form.csrf_token())
    )
    # Adding a phone, signed in.
    form = signed_in.get("/security-info/phone/add/")
    assert form.status == 200, form
    assert_unavailable(
        signed_in.post(
            "/security-info/phone/add/",
            {"region": "GB", "number": user["new_phone"], "channel": "sms"},
            token=form.csrf_token(),
        )
    )
    # The password strength check the password page's script asks.
    form = signed_in.get("/password/")
    assert form.status == 200, form
    strength = signed_in.post_json(
        "/password/strength/", {"password": "correct horse"}, token=form.csrf_token()
    )
    assert strength.status == 503, strength
    assert strength.json()["error"] == "unavailable"
    assert strength.json()["message"] == UNAVAILABLE

    # Nothing went ahead uncounted: no sign-in, no reset, no code sent.
    assert [event["result"] for event in portal.db.sign_ins(user["email"])] == ["success"]
    assert portal.db.deliveries(user["new_phone"]) == []
    assert portal.db.deliveries(user["email"]) == []

    # Redis answers again at that address: the same server recovers on its own.
    relay.start()
    wait_for(lambda: stranger.get("/health/").status == 200, 10, "c's /health/ to answer 200")
    assert start_sign_in(portal.browser(server), portal.take_user("sms")).status == 200
    strength = signed_in.post_json(
        "/password/strength/", {"password": "correct horse"}, token=form.csrf_token()
    )
    assert strength.status == 200, strength
