"""When Redis is down: limited actions say "temporarily unavailable" (503), never a 500, and
/health/ names what is down. The cache is pointed at a port where nothing listens."""

import pytest
from django.core.cache import caches

from portal import ratelimits
from tests.factories import PASSWORD

NOTHING_LISTENS = "redis://127.0.0.1:9/0"


@pytest.fixture
def redis_down(settings):
    working = settings.REDIS_URL, settings.CACHES
    settings.REDIS_URL = NOTHING_LISTENS
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": NOTHING_LISTENS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    ratelimits._limiter.cache_clear()
    yield
    caches["default"].close()
    settings.REDIS_URL, settings.CACHES = working  # before the suite's own clean-up runs
    ratelimits._limiter.cache_clear()


def test_a_limited_action_says_it_is_temporarily_unavailable(client, alice, redis_down):
    response = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "temporarily unavailable" in response.content.decode()
    assert "_auth_user_id" not in client.session  # nothing went ahead unlimited


def test_a_script_gets_json(client, alice, redis_down):
    response = client.get(
        "/api/me", HTTP_AUTHORIZATION="Basic YTpi", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"


def test_health_names_what_is_down(client, db, redis_down):
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "cache unavailable" in body
    assert "rate limits unavailable" in body
    assert "database" not in body
    assert "9" not in body  # nothing of how it failed


def test_health_is_ok_when_everything_answers(client, db):
    response = client.get("/health/")
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_the_real_redis_answers(client, db, settings):
    """The Redis this machine runs (CI's too) counts limits and answers the health check."""
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    ratelimits._limiter.cache_clear()
    try:
        assert ratelimits.available()
    finally:
        ratelimits._limiter.cache_clear()
