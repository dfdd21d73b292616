"""When Redis or the database is down: limited actions say "temporarily unavailable" (503),
never a 500, and /health/ names what is down. The cache is pointed at a port where nothing
listens; the database is made to refuse every query."""

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

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
    working = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    ratelimits._limiter.cache_clear()
    try:
        assert ratelimits.available()
    finally:
        settings.REDIS_URL = working  # before the suite's clean-up builds a limiter again
        ratelimits._limiter.cache_clear()


def refused(*args, **kwargs):
    raise OperationalError("connection refused")


@pytest.mark.parametrize("path", ["/health/", "/health/worker/"])
def test_health_answers_503_with_a_session_cookie_while_the_database_is_down(
    client, db, monkeypatch, path
):
    client.cookies["sessionid"] = "a" * 32  # a probe that kept a cookie: no session is loaded
    with monkeypatch.context() as down:  # every query fails, as when PostgreSQL is unreachable
        down.setattr(BaseDatabaseWrapper, "cursor", refused)
        response = client.get(path, HTTP_HOST="10.0.0.7")  # probes come by address
    assert response.status_code == 503
    assert b"database unavailable" in response.content
