"""Passkeys and the policy's key restrictions: attestation, and allowed or blocked models."""

import importlib
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.apps import apps

from organizations.models import AuthenticationPolicy
from security_info.models import Method
from signins.models import SignInEvent
from tests.fakes import webauthn as fake_webauthn
from tests.fakes.webauthn import SOFT_KEY_AAGUID, SoftKey
from tests.security_info.conftest import add_authenticator, add_passkey, mark_strong_sign_in
from tests.security_info.passkeys.test_passkeys import (
    REGISTER_OPTIONS_URL,
    SUDO_OPTIONS_URL,
    SUDO_URL,
    VERIFY_OPTIONS_URL,
    VERIFY_URL,
    post_json,
    post_password,
    register,
    sign_in_with,
)

YUBIKEY = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
BLOCKED = (
    "Your organization doesn't allow this model of passkey or security key. Sign in another "
    "way, and ask your admin which ones you can use."
)
NOT_ATTESTED = (
    "Your organization needs passkeys and security keys to prove their make and model, and "
    "this one didn't. Use a security key your organization approves, or ask your admin."
)


@pytest.fixture(autouse=True)
def _localhost(client):
    client.defaults["HTTP_HOST"] = "localhost"


def restrict(northwind, restriction: str, *aaguids: str, **fields) -> AuthenticationPolicy:
    policy, _made = AuthenticationPolicy.objects.update_or_create(
        organization=northwind,
        defaults={"passkey_restriction": restriction, "passkey_aaguids": "\n".join(aaguids)}
        | fields,
    )
    return policy


# Registering ----------------------------------------------------------------------------------


def test_the_model_of_a_new_passkey_is_stored(sudo_client, alice):
    register(sudo_client, SoftKey(aaguid=YUBIKEY))
    assert Method.objects.get(user=alice).aaguid == uuid.UUID(YUBIKEY)


def test_an_allow_list_takes_only_the_models_listed(sudo_client, alice, northwind):
    restrict(northwind, "allow", YUBIKEY)
    response = register(sudo_client, SoftKey())
    assert response.status_code == 400
    assert response.json() == {"error": BLOCKED}
    assert not Method.objects.filter(user=alice).exists()
    assert register(sudo_client, SoftKey(aaguid=YUBIKEY)).status_code == 200
    assert Method.objects.get(user=alice).aaguid == uuid.UUID(YUBIKEY)


def test_a_block_list_refuses_the_models_listed(sudo_client, alice, northwind):
    restrict(northwind, "block", SOFT_KEY_AAGUID.upper())
    assert register(sudo_client, SoftKey()).json() == {"error": BLOCKED}
    assert register(sudo_client, SoftKey(aaguid=YUBIKEY)).status_code == 200


def test_a_list_without_a_restriction_blocks_nothing(sudo_client, alice, northwind):
    restrict(northwind, "", SOFT_KEY_AAGUID)
    assert register(sudo_client, SoftKey()).status_code == 200


def test_an_allow_list_refuses_a_key_that_hides_its_model(sudo_client, alice, northwind):
    restrict(northwind, "allow", YUBIKEY)
    hidden = SoftKey(aaguid="00000000-0000-0000-0000-000000000000")
    assert register(sudo_client, hidden).json() == {"error": BLOCKED}


def test_without_attestation_enforced_the_options_ask_for_none(sudo_client):
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()["publicKey"]
    assert options.get("attestation", "none") == "none"


def test_enforced_attestation_asks_for_it_and_takes_a_makers_certificate(
    sudo_client, alice, northwind
):
    restrict(northwind, "allow", YUBIKEY, passkey_attestation_required=True)
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()
    assert options["publicKey"]["attestation"] == "direct"
    key = SoftKey(aaguid=YUBIKEY, attestation="packed")
    response = post_json(
        sudo_client, "/security-info/passkeys/add/register/", {"credential": key.create(options)}
    )
    assert response.status_code == 200
    assert Method.objects.get(user=alice).aaguid == uuid.UUID(YUBIKEY)


@pytest.mark.parametrize("attestation", ["none", "self"])
def test_enforced_attestation_refuses_a_key_that_proves_no_model(
    sudo_client, alice, northwind, attestation
):
    restrict(northwind, "", passkey_attestation_required=True)
    response = register(sudo_client, SoftKey(attestation=attestation))
    assert response.json() == {"error": NOT_ATTESTED}
    assert not Method.objects.filter(user=alice).exists()


def test_enforced_attestation_refuses_a_certificate_for_another_model(
    sudo_client, alice, northwind, monkeypatch
):
    """The key claims an allowed model, but its maker's certificate names another."""
    restrict(northwind, "allow", YUBIKEY, passkey_attestation_required=True)
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()
    response = post_json(
        sudo_client,
        "/security-info/passkeys/add/register/",
        {
            "credential": _packed_with_certificate_for(
                SOFT_KEY_AAGUID, YUBIKEY, options, monkeypatch
            )
        },
    )
    assert response.json() == {"error": NOT_ATTESTED}
    assert not Method.objects.filter(user=alice).exists()


def _packed_with_certificate_for(certified: str, claimed: str, options: dict, monkeypatch):
    """A registration that claims model `claimed` with a certificate issued for `certified`."""
    real_chain = fake_webauthn.attestation_chain
    monkeypatch.setattr(
        fake_webauthn,
        "attestation_chain",
        lambda _aaguid: real_chain(uuid.UUID(certified).bytes),
    )
    return SoftKey(aaguid=claimed, attestation="packed").create(options)


# Keys already registered whose model the policy no longer allows -----------------------------


def test_a_blocked_passkey_cannot_sign_in_and_is_told_why(client, alice, northwind):
    method, key = add_passkey(alice)
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    response = sign_in_with(client, key)
    assert response.status_code == 400
    assert response.json() == {"error": BLOCKED}
    assert client.get("/").status_code == 302
    event = SignInEvent.objects.get()
    assert (event.result, event.reason, event.user) == ("failure", "blocked_passkey", alice)
    method.refresh_from_db()
    assert method.last_used_at is None


def test_taking_a_model_off_the_allow_list_blocks_its_keys(client, alice, northwind):
    _method, key = add_passkey(alice, key=SoftKey(aaguid=YUBIKEY))
    restrict(northwind, "allow", YUBIKEY)
    assert sign_in_with(client, key).status_code == 200
    client.post("/accounts/logout/")
    restrict(northwind, "allow", "ee882879-721c-4913-9775-3dfcce97072a")
    assert sign_in_with(client, key).json() == {"error": BLOCKED}


def test_a_wrong_signature_from_a_blocked_key_learns_nothing_of_the_block(client, alice, northwind):
    _method, key = add_passkey(alice)
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    key.private_key = ec.generate_private_key(ec.SECP256R1())
    response = sign_in_with(client, key)
    assert response.json()["error"] != BLOCKED
    assert SignInEvent.objects.get().reason == "invalid_credential"


def test_a_blocked_passkey_is_not_offered_as_the_second_step(client, alice, northwind):
    add_passkey(alice, is_default=True)
    app, _totp = add_authenticator(alice)
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    post_password(client)
    assert client.session["security_info.sign_in.option"] == f"{app.pk}:"


def test_a_blocked_passkey_is_refused_at_the_second_step(client, alice, northwind):
    _method, key = add_passkey(alice, is_default=True)
    add_authenticator(alice)
    post_password(client)  # challenged with the passkey, then the policy changes
    options = post_json(client, VERIFY_OPTIONS_URL).json()
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    response = post_json(client, VERIFY_URL, {"credential": key.get(options)})
    assert response.status_code == 400
    assert BLOCKED in response.json()["error"]
    assert client.get("/").status_code == 302


def test_a_blocked_passkey_cannot_reverify_for_security_info(client, alice, northwind):
    _method, key = add_passkey(alice)
    add_authenticator(alice)
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    options = post_json(client, SUDO_OPTIONS_URL).json()
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    response = post_json(client, SUDO_URL, {"credential": key.get(options)})
    assert response.status_code == 400
    assert BLOCKED in response.json()["error"]


def test_security_info_says_the_key_is_blocked_by_the_organization(sudo_client, alice, northwind):
    add_passkey(alice, name="Blue key")
    add_authenticator(alice)
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    html = sudo_client.get("/security-info/").content.decode()
    assert "Blue key · Blocked by your organization" in html
    assert (
        "Your organization no longer allows the model of your passkey “Blue key”, so it "
        "can&#x27;t be used to sign in." in html
    )


def test_a_blocked_passkey_can_always_be_deleted(sudo_client, alice, northwind):
    method, _key = add_passkey(alice)
    add_authenticator(alice)
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    sudo_client.post(f"/security-info/methods/{method.pk}/delete/")
    assert not Method.objects.filter(pk=method.pk).exists()


def test_the_last_method_is_not_a_blocked_passkey(sudo_client, alice, northwind):
    """The app is the only way left to sign in: the blocked key does not count as another."""
    add_passkey(alice)
    app, _totp = add_authenticator(alice)
    restrict(northwind, "block", SOFT_KEY_AAGUID)
    html = sudo_client.get(f"/security-info/methods/{app.pk}/delete/").content.decode()
    assert "Add another method first" in html


def test_passkeys_added_before_models_were_stored_get_theirs_from_the_credential(alice):
    migration = importlib.import_module("security_info.migrations.0007_passkey_aaguid")
    method, _key = add_passkey(alice, key=SoftKey(aaguid=YUBIKEY), aaguid=None)
    broken = Method.objects.create(
        user=alice, kind=Method.Kind.PASSKEY, credential_id="eA", credential="not-cbor"
    )
    migration.read_the_model_of_each_passkey(apps, None)
    method.refresh_from_db()
    broken.refresh_from_db()
    assert (method.aaguid, broken.aaguid) == (uuid.UUID(YUBIKEY), None)


def test_the_add_page_says_up_front_when_models_are_restricted(sudo_client, northwind):
    assert (
        "makes and models" not in sudo_client.get("/security-info/passkeys/add/").content.decode()
    )
    restrict(northwind, "allow", YUBIKEY)
    html = sudo_client.get("/security-info/passkeys/add/").content.decode()
    assert "accepts only some makes and models of passkeys" in html
    restrict(northwind, "allow", YUBIKEY, passkey_attestation_required=True)
    html = sudo_client.get("/security-info/passkeys/add/").content.decode()
    assert "only passkeys and security keys that prove their make and model" in html
