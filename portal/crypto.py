"""Encryption and keyed hashing of secrets at rest, keyed by FIELD_ENCRYPTION_KEY.

The key lives in the environment, not the database, so a copy of the database alone reveals
neither authenticator seeds (encrypted) nor app passwords, recovery codes or passes (keyed
hashes, which also cannot be checked offline without the key).
"""

import base64
import hashlib
import hmac
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@cache
def _keys(key: str) -> tuple[Fernet, bytes]:
    """Derive independent encryption and hashing keys from the one configured key."""
    master = key.encode()
    encryption = hashlib.sha256(b"my-account:encryption:" + master).digest()
    hashing = hashlib.sha256(b"my-account:hashing:" + master).digest()
    return Fernet(base64.urlsafe_b64encode(encryption)), hashing


def encrypt(plaintext: str) -> str:
    return _keys(settings.FIELD_ENCRYPTION_KEY)[0].encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext; raise ValueError if the token was not made with this key."""
    try:
        return _keys(settings.FIELD_ENCRYPTION_KEY)[0].decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: wrong FIELD_ENCRYPTION_KEY or damaged data") from None


def digest(value: str, purpose: str) -> str:
    """Return a keyed SHA-256 of a high-entropy secret (never of a guessable one)."""
    key = _keys(settings.FIELD_ENCRYPTION_KEY)[1]
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def matches(value: str, purpose: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(value, purpose), expected_digest)


def random_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"
