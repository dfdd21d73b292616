"""`check --deploy` refuses a field encryption key that anyone else could know or guess."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from portal.checks import (
    DEVELOPMENT_FIELD_KEYS,
    check_field_encryption_key,
    check_field_encryption_key_fallbacks,
)

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "Jm3s0-8cQvVx2kYp7TnR4bWz6HfLdA1uGeNiOq9ZtXs"


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_a_generated_key_passes(settings):
    settings.FIELD_ENCRYPTION_KEY = secrets.token_urlsafe(32)
    assert check_field_encryption_key(None) == []


def test_a_hex_key_passes(settings):
    settings.FIELD_ENCRYPTION_KEY = secrets.token_hex(16)
    assert check_field_encryption_key(None) == []


def test_the_development_key_is_an_error(settings):
    settings.FIELD_ENCRYPTION_KEY = "development-only-field-encryption-key"
    assert ids(check_field_encryption_key(None)) == ["portal.E004"]


def test_the_secret_key_reused_is_an_error(settings):
    settings.FIELD_ENCRYPTION_KEY = settings.SECRET_KEY = GOOD_KEY
    assert ids(check_field_encryption_key(None)) == ["portal.E005"]


def test_an_old_secret_key_reused_is_an_error(settings):
    settings.FIELD_ENCRYPTION_KEY = GOOD_KEY
    settings.SECRET_KEY_FALLBACKS = [GOOD_KEY]
    assert ids(check_field_encryption_key(None)) == ["portal.E005"]


@pytest.mark.parametrize(
    "key",
    [
        "correct-horse-battery-staple",  # 28 characters: typed, not generated
        "x" * 50,
        "abcabcabcabcabcabcabcabcabcabcabcabc",
        "password" * 5,
    ],
)
def test_a_short_or_repetitive_key_is_a_warning(settings, key):
    settings.FIELD_ENCRYPTION_KEY = key
    [warning] = check_field_encryption_key(None)
    assert warning.id == "portal.W001"
    assert "token_urlsafe" in warning.hint


def test_fallback_keys_that_are_fine_pass(settings):
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [secrets.token_urlsafe(32), GOOD_KEY]
    assert check_field_encryption_key_fallbacks(None) == []


def test_a_weak_fallback_key_is_a_warning_that_says_which(settings):
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [
        GOOD_KEY,
        "development-only-field-encryption-key",
        "short",
    ]
    [warning] = check_field_encryption_key_fallbacks(None)
    assert warning.id == "portal.W002"
    assert "number 2, 3" in warning.msg
    assert "short" not in warning.msg  # the keys themselves are never printed


def test_the_key_a_checkout_runs_with_is_the_one_the_check_knows():
    """settings.py falls back to a key under DEBUG; --deploy must not let it through."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY_FILE"}
    }
    result = subprocess.run(
        [sys.executable, "-c", "import myaccount.settings as s; print(s.FIELD_ENCRYPTION_KEY)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() in DEVELOPMENT_FIELD_KEYS


def test_the_key_is_checked_only_for_a_deployment(settings):
    settings.FIELD_ENCRYPTION_KEY = "development-only-field-encryption-key"
    assert "portal.E004" not in ids(checks.run_checks(tags=[checks.Tags.security]))
    deployment = checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)
    assert "portal.E004" in ids(deployment)
