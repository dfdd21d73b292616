"""Helpers for the Security info tests: signed-in clients in and out of sudo mode."""

import time

import pyotp
import pytest
from fido2.utils import websafe_encode

from portal import crypto
from security_info.models import Method
from tests.fakes.webauthn import SoftKey


def mark_strong_sign_in(client, user, *, seconds_ago: float = 0, method: str = "mfa") -> None:
    """Make the client's session look like it proved a strong factor `seconds_ago`."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time() - seconds_ago - 1},
        {"method": method, "at": time.time() - seconds_ago, "type": "authenticator"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def sudo_client(client, alice):
    """Alice, signed in with a multi-factor sign-in just now: Security info opens."""
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    return client


def add_authenticator(user, name="Phone") -> tuple[Method, pyotp.TOTP]:
    """Register an authenticator app directly; return it and a TOTP generator for it."""
    secret = pyotp.random_base32()
    method = Method.objects.create(
        user=user, kind=Method.Kind.AUTHENTICATOR, name=name, secret=crypto.encrypt(secret)
    )
    return method, pyotp.TOTP(secret)


def add_phone(user, phone="+447700900123", kind=Method.Kind.MOBILE_PHONE, **fields) -> Method:
    return Method.objects.create(user=user, kind=kind, phone=phone, **fields)


def add_passkey(
    user, name="Laptop", key: SoftKey | None = None, **fields
) -> tuple[Method, SoftKey]:
    """Register a passkey directly; return it and the SoftKey that holds its private key."""
    key = key or SoftKey()
    key.user_handle = str(user.pk).encode()
    credential = key.credential_data()
    method = Method.objects.create(
        user=user,
        kind=Method.Kind.PASSKEY,
        name=name,
        credential_id=key.id,
        credential=websafe_encode(credential),
        **{"passwordless": True, **fields},
    )
    return method, key
