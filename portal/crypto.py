"""Encryption and keyed hashing of secrets at rest, keyed by FIELD_ENCRYPTION_KEY.

The key lives in the environment, not the database, so a copy of the database alone reveals
neither authenticator seeds (encrypted) nor app passwords, recovery codes or passes (keyed
hashes, which also cannot be checked offline without the key).

Keys rotate like Django's SECRET_KEY: FIELD_ENCRYPTION_KEY encrypts and digests everything new,
and the keys in FIELD_ENCRYPTION_KEY_FALLBACKS still decrypt and match what they made, until
`manage.py rotate_field_key` has re-encrypted the stored values with the current key.
"""

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@dataclass(frozen=True)
class _Key:
    fernet: Fernet
    hashing: bytes


@cache
def _derive(master: str) -> _Key:
    """Derive independent encryption and hashing keys from one configured key."""
    encryption = hashlib.sha256(b"my-account:encryption:" + master.encode()).digest()
    hashing = hashlib.sha256(b"my-account:hashing:" + master.encode()).digest()
    return _Key(Fernet(base64.urlsafe_b64encode(encryption)), hashing)


def _listed_keys() -> list[_Key]:
    """Return every configured key, the current one first."""
    masters = [settings.FIELD_ENCRYPTION_KEY, *settings.FIELD_ENCRYPTION_KEY_FALLBACKS]
    return [_derive(master) for master in masters]


def _any_key() -> MultiFernet:
    return MultiFernet(key.fernet for key in _listed_keys())


def encrypt(plaintext: str) -> str:
    return _listed_keys()[0].fernet.encrypt(plaintext.encode()).decode()


def decrypt(token: str, max_age: int | None = None) -> str:
    """Return the plaintext of a token made with any listed key.

    Raise ValueError if no listed key made it, it is damaged, or (with max_age) it was made
    more than max_age seconds ago. The message never holds the token or its plaintext.
    """
    try:
        return _any_key().decrypt(token.encode(), ttl=max_age).decode()
    except InvalidToken:
        if max_age is not None and _age(token) is not None:
            raise ValueError(f"expired: made more than {max_age} seconds ago") from None
        raise ValueError("cannot decrypt: made with an unlisted key, or damaged") from None


def _age(token: str) -> int | None:
    """Return how many seconds ago a listed key made the token, or None if none did."""
    try:
        return int(time.time()) - _any_key().extract_timestamp(token.encode())
    except InvalidToken:
        return None


def reencrypted(token: str) -> str | None:
    """Return the token encrypted with the current key instead, or None if it already is.

    The new token keeps the original's time, so a max_age still counts from the first
    encryption. Raise ValueError if no listed key made the token.
    """
    try:
        _listed_keys()[0].fernet.decrypt(token.encode())
    except InvalidToken:
        pass
    else:
        return None
    try:
        return _any_key().rotate(token.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: made with an unlisted key, or damaged") from None


def _digest_with(key: _Key, value: str, purpose: str) -> str:
    return hmac.new(key.hashing, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def digest(value: str, purpose: str) -> str:
    """Return a keyed SHA-256 of a high-entropy secret (never of a guessable one)."""
    return _digest_with(_listed_keys()[0], value, purpose)


def digests(value: str, purpose: str) -> list[str]:
    """Return the value's digest under every listed key, the current one first.

    For finding a row by its digest (`digest__in=`) while digests made with an older key are
    still stored: a digest cannot be re-made without the secret it hashes.
    """
    return [_digest_with(key, value, purpose) for key in _listed_keys()]


def matches(value: str, purpose: str, expected_digest: str) -> bool:
    return any(hmac.compare_digest(d, expected_digest) for d in digests(value, purpose))


def redigested(value: str, purpose: str, stored_digest: str) -> str | None:
    """Return the value's digest under the current key if `stored_digest` was made with an
    older listed key, else None: for renewing a digest when its secret is at hand."""
    current, *older = digests(value, purpose)
    stale = not hmac.compare_digest(current, stored_digest) and any(
        hmac.compare_digest(d, stored_digest) for d in older
    )
    return current if stale else None


def random_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"
