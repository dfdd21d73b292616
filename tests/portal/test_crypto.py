"""Encryption and keyed digests under a current key and the older keys of a rotation."""

import pytest
from django.test import override_settings

from portal import crypto

OLD = "the-old-field-key-0123456789abcdefghij"
NEW = "the-new-field-key-9876543210zyxwvutsrq"
OTHER = "a-key-nobody-listed-0123456789abcdefgh"


@pytest.fixture
def rotated(settings):
    """The state right after a rotation: NEW encrypts, OLD is still listed."""
    settings.FIELD_ENCRYPTION_KEY = NEW
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [OLD]
    return settings


def made_with(key: str, make, *args):
    """Run `make` as a deployment that lists only `key` would (before or without rotation)."""
    with override_settings(FIELD_ENCRYPTION_KEY=key, FIELD_ENCRYPTION_KEY_FALLBACKS=[]):
        return make(*args)


def test_values_stored_before_rotation_existed_still_open(settings):
    """The derivation of the keys never changes: what is in the database stays readable."""
    settings.FIELD_ENCRYPTION_KEY = "a-key-from-before-rotation-existed-0123"
    token = (
        "gAAAAABrDqcdDv59G-iRhDWFrXY3jL1NOzUHGZSxylVD_Iq4atfeZVc-zOwn8FEtLWnIyXbWo86uy1a4Rv4Hr"
        "UHLuTb1lpXzG3u0TXDYK-8w-QzS4CuFwBY="
    )
    assert crypto.decrypt(token) == "JBSWY3DPEHPK3PXP"
    assert crypto.digest("abcdefghjk", "recovery_code") == (
        "b4c3401a0f6a04f923336faef6d96ec0313a351790a1d96ec972b710dc70f9ef"
    )


def test_a_value_an_older_key_encrypted_still_decrypts(rotated):
    token = made_with(OLD, crypto.encrypt, "JBSWY3DPEHPK3PXP")
    assert crypto.decrypt(token) == "JBSWY3DPEHPK3PXP"


def test_new_values_are_encrypted_with_the_current_key_only(rotated):
    token = crypto.encrypt("JBSWY3DPEHPK3PXP")
    assert made_with(NEW, crypto.decrypt, token) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(ValueError, match="cannot decrypt"):
        made_with(OLD, crypto.decrypt, token)


def test_a_token_no_listed_key_made_is_refused_without_showing_it(rotated):
    token = made_with(OTHER, crypto.encrypt, "JBSWY3DPEHPK3PXP")
    with pytest.raises(ValueError, match="cannot decrypt") as refused:
        crypto.decrypt(token)
    assert token not in str(refused.value)
    assert "JBSWY3DPEHPK3PXP" not in str(refused.value)


def test_a_damaged_token_is_refused(rotated):
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.decrypt("not a token")


def test_a_token_older_than_its_max_age_is_refused_as_expired(rotated, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    token = crypto.encrypt("the body")
    time_machine.shift(61)
    with pytest.raises(ValueError, match="expired"):
        crypto.decrypt(token, max_age=60)
    assert crypto.decrypt(token) == "the body"


def test_reencrypting_moves_an_old_token_to_the_current_key(rotated):
    token = made_with(OLD, crypto.encrypt, "JBSWY3DPEHPK3PXP")
    renewed = crypto.reencrypted(token)
    assert made_with(NEW, crypto.decrypt, renewed) == "JBSWY3DPEHPK3PXP"


def test_reencrypting_leaves_a_current_token_alone(rotated):
    assert crypto.reencrypted(crypto.encrypt("JBSWY3DPEHPK3PXP")) is None


def test_reencrypting_keeps_the_time_a_max_age_counts_from(rotated, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    token = made_with(OLD, crypto.encrypt, "the body")
    time_machine.shift(61)
    with pytest.raises(ValueError, match="expired"):
        crypto.decrypt(crypto.reencrypted(token), max_age=60)


def test_reencrypting_a_token_no_listed_key_made_is_refused(rotated):
    token = made_with(OTHER, crypto.encrypt, "JBSWY3DPEHPK3PXP")
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.reencrypted(token)


def test_a_digest_an_older_key_made_still_matches(rotated):
    stored = made_with(OLD, crypto.digest, "abcdefghjk", "recovery_code")
    assert crypto.matches("abcdefghjk", "recovery_code", stored)
    assert stored in crypto.digests("abcdefghjk", "recovery_code")
    assert not crypto.matches("abcdefghjm", "recovery_code", stored)
    assert not crypto.matches("abcdefghjk", "app_password", stored)


def test_new_digests_use_the_current_key_and_come_first(rotated):
    new = crypto.digest("abcdefghjk", "recovery_code")
    assert new == made_with(NEW, crypto.digest, "abcdefghjk", "recovery_code")
    assert crypto.digests("abcdefghjk", "recovery_code") == [
        new,
        made_with(OLD, crypto.digest, "abcdefghjk", "recovery_code"),
    ]


def test_a_digest_no_listed_key_made_does_not_match(rotated):
    stored = made_with(OTHER, crypto.digest, "abcdefghjk", "recovery_code")
    assert not crypto.matches("abcdefghjk", "recovery_code", stored)


def test_an_old_digest_is_redigested_with_the_current_key(rotated):
    stored = made_with(OLD, crypto.digest, "abcdefghjk", "recovery_code")
    renewed = crypto.redigested("abcdefghjk", "recovery_code", stored)
    assert renewed == crypto.digest("abcdefghjk", "recovery_code")


def test_a_current_or_wrong_digest_is_not_redigested(rotated):
    current = crypto.digest("abcdefghjk", "recovery_code")
    assert crypto.redigested("abcdefghjk", "recovery_code", current) is None
    assert crypto.redigested("abcdefghjm", "recovery_code", current) is None
