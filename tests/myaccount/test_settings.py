"""Settings come from the environment and refuse bad values loudly."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from myaccount.settings import env_bool, env_int, env_list, env_str
from tests.conftest import NetworkAccessError

ROOT = Path(__file__).resolve().parents[2]


def test_env_bool_reads_the_usual_spellings(monkeypatch):
    for value, expected in [
        ("1", True),
        ("yes", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("", False),
    ]:
        monkeypatch.setenv("FLAG", value)
        assert env_bool("FLAG", not expected) is expected
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_env_int_refuses_words_and_small_numbers(monkeypatch):
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("COUNT", 1)
    monkeypatch.setenv("COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("COUNT", 1)
    monkeypatch.setenv("COUNT", "7")
    assert env_int("COUNT", 1) == 7


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, b.example ,,")
    assert env_list("HOSTS") == ["a.example", "b.example"]


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path):
    (tmp_path / "key").write_text("s3cret\n")
    monkeypatch.setenv("API_KEY_FILE", str(tmp_path / "key"))
    assert env_str("API_KEY") == "s3cret"
    monkeypatch.setenv("API_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        env_str("API_KEY")


def load_settings(show="s.DATABASES['default']['ENGINE']", **env) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly this environment; print `show`
    (an expression of the settings module `s`)."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    return subprocess.run(  # noqa: S603 (this interpreter, a script of the test's own)
        [sys.executable, "-c", f"import myaccount.settings as s; print({show})"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DEBUG="0", FIELD_ENCRYPTION_KEY="x", SMTP_HOST="mail")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_needs_the_field_encryption_key():
    result = load_settings(DEBUG="0", SECRET_KEY="x" * 50, SMTP_HOST="mail")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in result.stderr


def test_production_needs_a_mail_server():
    result = load_settings(DEBUG="0", SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEY="x")
    assert result.returncode != 0
    assert "SMTP_HOST" in result.stderr


def test_production_settings_load_with_what_they_need():
    result = load_settings(
        DEBUG="0", SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEY="x", SMTP_HOST="mail"
    )
    assert result.returncode == 0, result.stderr


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 50,
    "FIELD_ENCRYPTION_KEY": "x",
    "SMTP_HOST": "mail",
}


def test_only_development_sends_127_0_0_1_to_localhost():
    middleware = "'portal.middleware.LocalhostMiddleware' in s.MIDDLEWARE"
    assert load_settings(middleware).stdout.strip() == "True"
    assert load_settings(middleware, **PRODUCTION).stdout.strip() == "False"


def test_a_postgres_url_selects_postgres_with_a_pool():
    result = load_settings(DATABASE_URL="postgres://someone@127.0.0.1:5432/db")
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_an_unsupported_database_is_refused():
    result = load_settings(DATABASE_URL="mysql://root@localhost/db")
    assert result.returncode != 0
    assert "SQLite or PostgreSQL" in result.stderr


def test_a_bad_time_zone_is_refused():
    result = load_settings(TIME_ZONE="Mars/Olympus")
    assert result.returncode != 0
    assert "TIME_ZONE" in result.stderr


def delivery_timing(**env) -> subprocess.CompletedProcess:
    """What portal.delivery and portal.worker take for their timing under this environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DELIVERY_RETRY_DELAYS", "DELIVERY_ATTEMPT_LEASE_SECONDS", "WORKER_SWEEP_SECONDS"}
    }
    code = (
        "import django; django.setup(); from portal import delivery, worker; "
        "print(delivery.RETRY_DELAYS, delivery.ATTEMPT_LEASE_SECONDS, worker.SWEEP_SECONDS)"
    )
    return subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "myaccount.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_delivery_timing_keeps_its_production_defaults_unless_a_test_stack_sets_it():
    assert delivery_timing().stdout.strip() == "(5, 15, 30, 60, 120, 300, 600, 1800, 3600) 60 15"
    shortened = delivery_timing(
        DELIVERY_RETRY_DELAYS="1, 1.5,2",
        DELIVERY_ATTEMPT_LEASE_SECONDS="6",
        WORKER_SWEEP_SECONDS="2",
    )
    assert shortened.stdout.strip() == "(1.0, 1.5, 2.0) 6 2", shortened.stderr


def test_delivery_timing_refuses_bad_values():
    result = delivery_timing(DELIVERY_RETRY_DELAYS="1,soon")
    assert result.returncode != 0
    assert "DELIVERY_RETRY_DELAYS" in result.stderr
    result = delivery_timing(DELIVERY_ATTEMPT_LEASE_SECONDS="0")
    assert result.returncode != 0
    assert "DELIVERY_ATTEMPT_LEASE_SECONDS" in result.stderr


def test_the_suite_cannot_reach_the_network():
    with pytest.raises(NetworkAccessError):
        socket.create_connection(("203.0.113.1", 25), timeout=1)


def test_the_suite_can_still_reach_this_machine(live_server):
    with socket.create_connection(("127.0.0.1", int(live_server.url.rsplit(":", 1)[1])), timeout=2):
        pass


def refused(result: subprocess.CompletedProcess, variable: str) -> bool:
    """Tell whether the start was refused with a message naming the variable."""
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    return result.returncode != 0 and "ImproperlyConfigured" in last and variable in last


def test_a_bad_log_level_is_refused_with_the_allowed_ones():
    result = load_settings(LOG_LEVEL="loud")
    assert refused(result, "LOG_LEVEL")
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in result.stderr
    assert load_settings("s.LOGGING['root']['level']", LOG_LEVEL="warning").stdout.strip() == (
        "WARNING"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://cache.internal:6379/0",
        "cache.internal:6379",
        "redis://:s3cret@cache.internal:port/0",
        "redis:///0",
        "redis://cache.internal:6379/zero",
        "unix://",
    ],
)
def test_a_bad_redis_url_is_refused_at_start_without_repeating_it(url):
    result = load_settings(REDIS_URL=url)
    assert refused(result, "REDIS_URL")
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize(
    "url",
    ["redis://cache.internal:6379/1", "rediss://:pw@cache.internal:6380", "unix:///run/redis.sock"],
)
def test_redis_urls_of_every_scheme_are_accepted(url):
    result = load_settings("s.CACHES['default']['LOCATION']", REDIS_URL=url)
    assert result.stdout.strip() == url, result.stderr


def start_django(**env) -> subprocess.CompletedProcess:
    """Load the settings and the apps in a fresh interpreter, as every process starts."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "myaccount.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "backend", ["DatabaseBackend", "django_tasks_db.DataBackend", "collections.OrderedDict"]
)
def test_a_bad_tasks_backend_stops_the_start_naming_the_variable(backend):
    assert refused(start_django(TASKS_BACKEND=backend), "TASKS_BACKEND")


def test_the_documented_tasks_backends_start():
    for backend in ["django_tasks_db.DatabaseBackend", ""]:
        result = start_django(TASKS_BACKEND=backend)
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "sender", ["no-reply", "My Account <no-reply@example.com", "a@example.com, b@example.com"]
)
def test_a_bad_sender_address_is_refused(sender):
    assert refused(load_settings(DEFAULT_FROM_EMAIL=sender), "DEFAULT_FROM_EMAIL")


@pytest.mark.parametrize("sender", ["it@contoso.example", "Contoso IT <it@contoso.example>"])
def test_a_sender_is_an_address_with_or_without_a_name(sender):
    result = load_settings("(s.DEFAULT_FROM_EMAIL, s.SERVER_EMAIL)", DEFAULT_FROM_EMAIL=sender)
    assert result.stdout.strip() == str((sender, sender)), result.stderr


def test_the_site_name_heads_every_mail_subject():
    result = load_settings(
        "(s.EMAIL_SUBJECT_PREFIX, s.ACCOUNT_EMAIL_SUBJECT_PREFIX)", SITE_NAME="Contoso Account"
    )
    assert result.stdout.strip() == str(("[Contoso Account] ", "[Contoso Account] "))


@pytest.mark.parametrize(
    ("security", "port"), [("ssl", "465"), ("starttls", "587"), ("none", "587")]
)
def test_the_smtp_port_follows_the_security_unless_set(security, port):
    show = "s.MAILERS['default']['OPTIONS']['port']"
    assert load_settings(show, SMTP_HOST="mail", SMTP_SECURITY=security).stdout.strip() == port
    assert load_settings(show, SMTP_HOST="mail", SMTP_PORT="2525").stdout.strip() == "2525"
    assert refused(load_settings(show, SMTP_HOST="mail", SMTP_PORT="70000"), "SMTP_PORT")
    assert refused(load_settings(show, SMTP_HOST="mail", SMTP_SECURITY="tls"), "SMTP_SECURITY")


def test_a_twilio_base_that_is_not_a_web_address_is_refused():
    assert refused(load_settings(TWILIO_API_BASE="localhost:8081"), "TWILIO_API_BASE")
    result = load_settings("s.TWILIO_API_BASE", TWILIO_API_BASE="http://127.0.0.1:8081")
    assert result.stdout.strip() == "http://127.0.0.1:8081"
