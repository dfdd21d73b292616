"""`manage.py rotate_field_key`: re-encrypt what an older key made, count what it cannot."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from portal import crypto
from portal.fields import DigestField, EncryptedTextField
from portal.management.commands.rotate_field_key import columns, label
from security_info.models import AppPassword, Method, RecoveryCode

OLD = "the-old-field-key-0123456789abcdefghij"
NEW = "the-new-field-key-9876543210zyxwvutsrq"
OTHER = "a-key-nobody-listed-0123456789abcdefgh"


def made_with(key: str, make, *args):
    with override_settings(FIELD_ENCRYPTION_KEY=key, FIELD_ENCRYPTION_KEY_FALLBACKS=[]):
        return make(*args)


def add_authenticator(user, seed: str, key: str) -> Method:
    return Method.objects.create(
        user=user,
        kind=Method.Kind.AUTHENTICATOR,
        name="Phone",
        secret=made_with(key, crypto.encrypt, seed),
    )


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_field_key", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rotated(settings):
    """Right after a rotation: NEW is the key, OLD is still listed."""
    settings.FIELD_ENCRYPTION_KEY = NEW
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [OLD]
    return settings


@pytest.fixture
def seeds(rotated, alice, bob):
    """Alice's seed was encrypted before the rotation, Bob's after it."""
    return {
        "alice": add_authenticator(alice, "JBSWY3DPEHPK3PXP", OLD),
        "bob": add_authenticator(bob, "KRSXG5CTMVRXEZLU", NEW),
    }


def secret_of(method: Method) -> str:
    method.refresh_from_db()
    return method.secret


def test_it_finds_the_columns_by_their_field_class():
    encrypted = [label(model, field) for model, field in columns(EncryptedTextField)]
    digests = [label(model, field) for model, field in columns(DigestField)]
    assert encrypted == ["security_info.Method.secret"]
    assert sorted(digests) == [
        "security_info.AppPassword.digest",
        "security_info.PhoneCall.token_digest",
        "security_info.RecoveryCode.digest",
        "security_info.TemporaryAccessPass.digest",
    ]


def test_it_reencrypts_what_the_old_key_made_with_the_new_one(seeds):
    bobs_token = secret_of(seeds["bob"])

    output = rotate()

    assert "security_info.Method.secret: 1 re-encrypted, 1 already with the current key" in output
    assert "1 encrypted value(s) re-encrypted in all." in output
    assert made_with(NEW, crypto.decrypt, secret_of(seeds["alice"])) == "JBSWY3DPEHPK3PXP"
    assert secret_of(seeds["bob"]) == bobs_token  # already current: left exactly as it was


def test_a_second_run_changes_nothing(seeds):
    rotate()
    tokens = [secret_of(seeds["alice"]), secret_of(seeds["bob"])]

    output = rotate()

    assert "0 re-encrypted, 2 already with the current key" in output
    assert [secret_of(seeds["alice"]), secret_of(seeds["bob"])] == tokens


def test_a_dry_run_says_what_would_change_and_changes_nothing(seeds):
    alices_token = secret_of(seeds["alice"])

    output = rotate("--dry-run")

    assert "security_info.Method.secret: 1 would be re-encrypted, 1 already" in output
    assert secret_of(seeds["alice"]) == alices_token


def test_methods_without_a_secret_are_passed_over(rotated, alice):
    Method.objects.create(user=alice, kind=Method.Kind.MOBILE_PHONE, phone="+447700900123")
    assert "0 re-encrypted, 0 already with the current key, 0 cannot" in rotate()


def test_a_value_no_listed_key_opens_is_reported_and_left_alone(seeds, charlie):
    lost = add_authenticator(charlie, "GEZDGNBVGY3TQOJQ", OTHER)
    lost_token = secret_of(lost)

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 value\\(s\\) could not be decrypted"):
        call_command("rotate_field_key", stdout=out)

    assert "1 re-encrypted, 1 already with the current key, 1 cannot be decrypted" in (
        out.getvalue()
    )
    assert secret_of(lost) == lost_token
    assert made_with(NEW, crypto.decrypt, secret_of(seeds["alice"])) == "JBSWY3DPEHPK3PXP"


def test_it_counts_the_digests_it_cannot_remake(rotated, alice):
    AppPassword.objects.create(user=alice, name="Mail", digest=crypto.digest("a" * 16, "x"))
    for code in ("abcdefghjk", "bcdefghjkm"):
        RecoveryCode.objects.create(user=alice, digest=made_with(OLD, crypto.digest, code, "x"))

    output = rotate()

    assert "security_info.AppPassword.digest: 1 keyed digest(s)." in output
    assert "security_info.RecoveryCode.digest: 2 keyed digest(s)." in output
    assert "security_info.TemporaryAccessPass.digest: 0 keyed digest(s)." in output
    assert "Up to 3 digest(s) may still depend on an older key" in output
    assert "cannot be re-made without the secret it hashes" in output


def test_with_no_digest_stored_none_depends_on_an_old_key(rotated, db):
    output = rotate()
    assert "No keyed digest is stored: 0 depend on an old key." in output
    assert "keep an older key listed at least 14 day(s)" in output


def test_with_no_older_key_listed_no_digest_depends_on_one(settings, alice):
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = []
    RecoveryCode.objects.create(user=alice, digest=crypto.digest("abcdefghjk", "x"))

    output = rotate()

    assert "0 depend on an old key" in output
    assert "may still depend" not in output


def test_after_the_rotation_the_old_key_can_go_for_encrypted_values(seeds, settings):
    rotate()
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = []

    assert crypto.decrypt(secret_of(seeds["alice"])) == "JBSWY3DPEHPK3PXP"
    assert crypto.decrypt(secret_of(seeds["bob"])) == "KRSXG5CTMVRXEZLU"
