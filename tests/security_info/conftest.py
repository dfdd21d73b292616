"""Helpers for the Security info tests: signed-in clients in and out of sudo mode."""

import time
from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone
from fido2.utils import websafe_encode

from portal import crypto
from security_info.app_passwords.passwords import generate
from security_info.models import AppPassword, Method, RecoveryCode, TemporaryAccessPass
from tests.factories import PASSWORD
from tests.fakes.webauthn import SoftKey

PERSONAL_EMAIL = "alice.archer@example.com"
TEMPORARY_PASS = "abcd-efgh-jkmn"


def mark_strong_sign_in(client, user, *, seconds_ago: float = 0, method: str = "mfa") -> None:
    """Make the client's session look like it proved a strong factor `seconds_ago`."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time() - seconds_ago - 1},
        {"method": method, "at": time.time() - seconds_ago, "type": "authenticator"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def start_sign_in(client, user) -> None:
    """Pass the password step: the second step is pending."""
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/verify/"


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
        **{"passwordless": True, "aaguid": str(key.aaguid), **fields},
    )
    return method, key


def add_email(user, email=PERSONAL_EMAIL) -> Method:
    return Method.objects.create(user=user, kind=Method.Kind.EMAIL, email=email)


def make_app_password(user, name="App") -> AppPassword:
    return AppPassword.objects.create(user=user, name=name, digest=crypto.digest(generate(), "x"))


def give_codes(user, *codes: str) -> None:
    """Store recovery codes for the user as generation would (plain codes, no dashes)."""
    for code in codes:
        RecoveryCode.objects.create(user=user, digest=crypto.digest(code, "recovery_code"))


def give_pass(user, code=TEMPORARY_PASS, *, minutes=60, one_time=True) -> TemporaryAccessPass:
    """Store a pass for the user as an admin issuing it would."""
    return TemporaryAccessPass.objects.create(
        user=user,
        digest=crypto.digest(code.replace("-", ""), "temporary_pass"),
        expires_at=timezone.now() + timedelta(minutes=minutes),
        one_time=one_time,
    )
