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
