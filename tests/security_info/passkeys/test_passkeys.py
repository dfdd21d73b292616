"""Passkeys: adding and renaming one, and signing in or re-verifying with it.

The browser's part is played by SoftKey, a software authenticator built from fido2's data
types and an EC P-256 key: it answers the server's real WebAuthn options with real signed
responses, as Chromium would for a page served from http://localhost.
"""

import json
import os
import re
from dataclasses import dataclass
from html import unescape as html_unescape

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import AttestedCredentialData

from organizations.models import AuthenticationPolicy
from security_info.models import Method
from security_info.passkeys import webauthn
from signins.models import SecurityEvent, SignInEvent
from tests.factories import PASSWORD
from tests.fakes.webauthn import SoftKey
from tests.security_info.conftest import add_authenticator, add_passkey, mark_strong_sign_in

ADD_URL = "/security-info/passkeys/add/"
REGISTER_OPTIONS_URL = "/security-info/passkeys/add/options/"
REGISTER_URL = "/security-info/passkeys/add/register/"
SIGN_IN_OPTIONS_URL = "/accounts/passkey/options/"
SIGN_IN_URL = "/accounts/passkey/"
VERIFY_OPTIONS_URL = "/accounts/verify/passkey/options/"
VERIFY_URL = "/accounts/verify/passkey/"
SUDO_OPTIONS_URL = "/security-info/verify/passkey/options/"
SUDO_URL = "/security-info/verify/passkey/"
FAILED = "That passkey didn't work. Try again or sign in with your password."


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def register(client, key: SoftKey, **create_kwargs):
    options = post_json(client, REGISTER_OPTIONS_URL).json()
    return post_json(client, REGISTER_URL, {"credential": key.create(options, **create_kwargs)})


def sign_in_with(client, key: SoftKey, *, next_url=None, **get_kwargs):
    options = post_json(client, SIGN_IN_OPTIONS_URL).json()
    return post_json(
        client, SIGN_IN_URL, {"credential": key.get(options, **get_kwargs), "next": next_url}
    )


@pytest.fixture(autouse=True)
def _localhost(client):
    # The relying party is the host: browsers accept "localhost" as one over plain http.
    client.defaults["HTTP_HOST"] = "localhost"


# Adding a passkey -----------------------------------------------------------------------------


def test_the_add_page_offers_the_button_and_a_notice_for_browsers_without_passkeys(sudo_client):
    html = sudo_client.get(ADD_URL).content.decode()
    assert 'data-passkey="register"' in html
    assert "This browser can't use passkeys." in html
    assert "data-passkey-actions hidden" in html  # shown by the script once it finds WebAuthn


def test_the_options_are_for_this_site_and_exclude_the_keys_already_registered(sudo_client, alice):
    existing, _key = add_passkey(alice)
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()["publicKey"]
    assert options["rp"] == {"name": "My Account", "id": "localhost"}
    assert options["user"]["name"] == "alice@northwind.example"
    assert [c["id"] for c in options["excludeCredentials"]] == [existing.credential_id]
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["extensions"] == {"credProps": True}


def test_it_adds_a_passkey_under_a_default_name(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    key = SoftKey()
    with django_capture_on_commit_callbacks(execute=True):
        response = register(sudo_client, key)
    method = Method.objects.get(user=alice)
    assert response.json() == {"location": f"/security-info/passkeys/{method.pk}/rename/?added=1"}
    assert (method.kind, method.name, method.credential_id) == ("passkey", "Passkey 1", key.id)
    assert (
        AttestedCredentialData(websafe_decode(method.credential)).credential_id == key.credential_id
    )
    assert (method.sign_count, method.passwordless) == (0, True)
    assert SecurityEvent.objects.get(user=alice).kind == SecurityEvent.Kind.METHOD_ADDED


def test_after_adding_the_user_can_change_the_default_name(sudo_client, alice):
    location = register(sudo_client, SoftKey()).json()["location"]
    page = sudo_client.get(location).content.decode()
    # Said once, as the heading, not again in a message above it.
    assert page.count("Passkey added") == 2  # the title and the heading
    assert '<h1 class="page-title">Passkey added</h1>' in page
    assert 'value="Passkey 1"' in page
    response = sudo_client.post(location, {"name": "  Work   laptop "})
    assert response["Location"] == "/security-info/"
    assert Method.objects.get(user=alice).name == "Work laptop"


def test_default_names_count_on_from_the_ones_taken(sudo_client, alice):
    add_passkey(alice, name="Passkey 1")
    register(sudo_client, SoftKey())
    assert Method.objects.filter(user=alice).latest("id").name == "Passkey 2"


def test_a_key_that_cannot_be_discoverable_is_marked_as_second_step_only(sudo_client, alice):
    register(sudo_client, SoftKey(), discoverable=False)
    assert Method.objects.get(user=alice).passwordless is False


@pytest.mark.parametrize("seconds_ago", [301, 3600])
def test_adding_needs_a_strong_sign_in_within_five_minutes(client, alice, seconds_ago):
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=seconds_ago)
    assert (
        client.get(ADD_URL)["Location"]
        == "/security-info/verify/?next=%2Fsecurity-info%2Fpasskeys%2Fadd%2F"
    )
    assert post_json(client, REGISTER_OPTIONS_URL).status_code == 302
    assert post_json(client, REGISTER_URL, {"credential": {}}).status_code == 302
    assert not Method.objects.exists()


def test_a_sign_in_four_minutes_ago_is_recent_enough(client, alice):
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=240)
    assert client.get(ADD_URL).status_code == 200


def test_the_policy_can_switch_self_service_passkeys_off(sudo_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_passkeys=False)
    response = sudo_client.get(ADD_URL, follow=True)
    assert "does not allow" in response.content.decode()
    response = post_json(sudo_client, REGISTER_OPTIONS_URL)
    assert response.status_code == 400
    assert "does not allow" in response.json()["error"]


def test_ten_passkeys_is_the_limit(sudo_client, alice):
    for n in range(10):
        add_passkey(alice, name=f"Key {n}")
    assert sudo_client.get(ADD_URL)["Location"] == "/security-info/"
    assert post_json(sudo_client, REGISTER_OPTIONS_URL).status_code == 400


def test_the_limit_is_checked_again_when_the_key_answers(sudo_client, alice):
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()
    for n in range(10):
        add_passkey(alice, name=f"Key {n}")
    response = post_json(sudo_client, REGISTER_URL, {"credential": SoftKey().create(options)})
    assert response.status_code == 400
    assert Method.objects.count() == 10


def test_a_key_registered_already_is_refused(sudo_client, alice, bob):
    key = SoftKey()
    add_passkey(bob, key=key)
    response = register(sudo_client, key)
    assert response.status_code == 400
    assert "already registered" in response.json()["error"]
    assert not Method.objects.filter(user=alice).exists()


@pytest.mark.parametrize(
    "origin",
    [
        "https://localhost.evil.example",
        "http://localhost:8001",
        "http://127.0.0.1",
        "http://evil.localhost",
    ],
)
def test_a_response_made_for_another_site_is_refused(sudo_client, origin):
    response = register(sudo_client, SoftKey(), origin=origin)
    assert response.status_code == 400
    assert "could not be verified" in response.json()["error"]
    assert not Method.objects.exists()
    assert not SecurityEvent.objects.exists()


def test_a_key_for_another_relying_party_is_refused(sudo_client):
    response = register(sudo_client, SoftKey(rp_id="evil.example"))
    assert response.status_code == 400
    assert not Method.objects.exists()


def test_a_challenge_is_used_once(sudo_client):
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()
    key = SoftKey()
    post_json(sudo_client, REGISTER_URL, {"credential": key.create(options)})
    replay = post_json(sudo_client, REGISTER_URL, {"credential": SoftKey().create(options)})
    assert replay.status_code == 400
    assert Method.objects.count() == 1


def test_a_challenge_expires_after_five_minutes(sudo_client, alice, time_machine):
    time_machine.move_to("2025-06-02 09:00", tick=False)
    mark_strong_sign_in(sudo_client, alice)
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()
    time_machine.shift(301)
    mark_strong_sign_in(sudo_client, alice)  # still in sudo mode: only the challenge is old
    response = post_json(sudo_client, REGISTER_URL, {"credential": SoftKey().create(options)})
    assert response.status_code == 400
    assert "took too long" in response.json()["error"]
    assert not Method.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"credential"',
        b"{}",
        b'{"credential": "x"}',
        b'{"credential": []}',
        b'{"credential": {"rawId": "!!!", "response": {}}}',
        b'{"credential": {"id": "AAAA", "rawId": "AAAA", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}}',
        b'{"credential": {"id": "AAAA", "rawId": "AAAA", "response": {"clientDataJSON": "bm90IGpzb24", "attestationObject": "AAAA"}}}',
    ],
)
def test_malformed_answers_get_a_message_not_an_error_page(sudo_client, body):
    post_json(sudo_client, REGISTER_OPTIONS_URL)
    response = sudo_client.post(REGISTER_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Method.objects.exists()


def test_deeply_nested_cbor_gets_a_message_not_an_error_page(sudo_client):
    options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()
    credential = SoftKey().create(options)
    credential["response"]["attestationObject"] = websafe_encode(b"\x81" * 5000 + b"\x00")
    response = post_json(sudo_client, REGISTER_URL, {"credential": credential})
    assert response.status_code == 400
    assert not Method.objects.exists()


def test_an_answer_without_a_started_ceremony_is_refused(sudo_client):
    options = {"publicKey": {"challenge": websafe_encode(os.urandom(32)), "user": {"id": "MQ"}}}
    response = post_json(sudo_client, REGISTER_URL, {"credential": SoftKey().create(options)})
    assert response.status_code == 400
    assert not Method.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        REGISTER_OPTIONS_URL,
        REGISTER_URL,
        SIGN_IN_OPTIONS_URL,
        SIGN_IN_URL,
        VERIFY_OPTIONS_URL,
        VERIFY_URL,
        SUDO_OPTIONS_URL,
        SUDO_URL,
    ],
)
def test_the_json_endpoints_answer_only_posts(sudo_client, url):
    assert sudo_client.get(url).status_code == 405


def test_the_json_endpoints_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    assert post_json(client, SIGN_IN_OPTIONS_URL).status_code == 403
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    assert post_json(client, REGISTER_OPTIONS_URL).status_code == 403


# Renaming and deleting ------------------------------------------------------------------------


def test_it_renames_a_passkey(sudo_client, alice, django_capture_on_commit_callbacks):
    method, _key = add_passkey(alice)
    url = f"/security-info/passkeys/{method.pk}/rename/"
    assert "Rename passkey" in sudo_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(url, {"name": "YubiKey 5"})
    assert response["Location"] == "/security-info/"
    method.refresh_from_db()
    assert method.name == "YubiKey 5"
    assert SecurityEvent.objects.get(user=alice).kind == SecurityEvent.Kind.METHOD_CHANGED


def test_keeping_the_name_changes_nothing(sudo_client, alice):
    method, _key = add_passkey(alice)
    sudo_client.post(f"/security-info/passkeys/{method.pk}/rename/", {"name": "Laptop"})
    assert not SecurityEvent.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_a_blank_or_long_name_is_refused(sudo_client, alice, name):
    method, _key = add_passkey(alice)
    response = sudo_client.post(f"/security-info/passkeys/{method.pk}/rename/", {"name": name})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    method.refresh_from_db()
    assert method.name == "Laptop"


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_nobody_else_can_rename_her_passkey(client, alice, persona, request):
    method, _key = add_passkey(alice)
    outsider = request.getfixturevalue(persona)
    client.force_login(outsider)
    mark_strong_sign_in(client, outsider)
    url = f"/security-info/passkeys/{method.pk}/rename/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Mine now"}).status_code == 404
    method.refresh_from_db()
    assert method.name == "Laptop"


@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_rename_is_a_404_for_unknown_ids(sudo_client, pk):
    assert sudo_client.get(f"/security-info/passkeys/{pk}/rename/").status_code == 404


def test_rename_is_only_for_passkeys(sudo_client, alice):
    method, _app = add_authenticator(alice)
    assert sudo_client.get(f"/security-info/passkeys/{method.pk}/rename/").status_code == 404


def test_it_deletes_a_passkey_through_the_generic_delete(sudo_client, alice):
    method, _key = add_passkey(alice)
    add_authenticator(alice)
    response = sudo_client.post(f"/security-info/methods/{method.pk}/delete/")
    assert response["Location"] == "/security-info/"
    assert not Method.objects.filter(kind="passkey").exists()
    assert SecurityEvent.objects.get(user=alice).kind == SecurityEvent.Kind.METHOD_DELETED


def test_the_security_info_page_lists_passkeys_with_rename_and_delete(sudo_client, alice):
    method, _key = add_passkey(alice, name="Blue key")
    html = sudo_client.get("/security-info/").content.decode()
    assert "Blue key" in html
    assert f"/security-info/passkeys/{method.pk}/rename/" in html
    assert f"/security-info/methods/{method.pk}/delete/" in html


# Signing in without a password ----------------------------------------------------------------


def test_the_sign_in_page_offers_a_passkey(client, db):
    html = client.get("/accounts/login/?next=/security-info/").content.decode()
    assert "Sign in with a passkey" in html
    assert 'data-options-url="/accounts/passkey/options/"' in html
    assert 'data-next="/security-info/"' in html  # where the passkey sign-in lands


def test_passwordless_options_ask_for_any_passkey_and_user_verification(client, db):
    options = post_json(client, SIGN_IN_OPTIONS_URL).json()["publicKey"]
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert not options.get("allowCredentials")


def test_a_passkey_signs_in_without_a_password_or_second_step(client, alice):
    add_authenticator(alice)  # would be the second step after a password
    method, key = add_passkey(alice)
    response = sign_in_with(client, key)
    assert response.status_code == 200
    assert response.json() == {"location": "/"}
    assert client.get("/").status_code == 200
    event = SignInEvent.objects.get()
    assert (event.result, event.method, event.user) == ("success", "passkey", alice)
    method.refresh_from_db()
    assert method.sign_count == 1
    assert method.last_used_at is not None


def test_a_passkey_alone_must_verify_the_person(client, alice):
    _method, key = add_passkey(alice)
    response = sign_in_with(client, key, verified=False)  # touched, but no PIN or biometric
    assert response.json() == {"error": FAILED}
    assert client.get("/").status_code == 302


def test_a_key_that_signs_in_alone_is_marked_as_passwordless(client, alice):
    method, key = add_passkey(alice, passwordless=False)
    sign_in_with(client, key)
    method.refresh_from_db()
    assert method.passwordless is True


def test_a_passkey_sign_in_counts_as_a_strong_sign_in_for_security_info(client, alice):
    _method, key = add_passkey(alice)
    sign_in_with(client, key)
    assert client.get(ADD_URL).status_code == 200


def test_it_goes_to_the_page_asked_for_but_never_off_site(client, alice):
    _method, key = add_passkey(alice)
    assert (
        sign_in_with(client, key, next_url="/security-info/").json()["location"]
        == "/security-info/"
    )
    client.post("/accounts/logout/")
    assert sign_in_with(client, key, next_url="https://evil.example/").json()["location"] == "/"


def test_an_unknown_passkey_is_refused_and_recorded(client, alice):
    response = sign_in_with(client, SoftKey())
    assert response.status_code == 400
    assert response.json() == {"error": FAILED}
    assert client.get("/").status_code == 302
    event = SignInEvent.objects.get()
    assert (event.result, event.reason, event.method, event.user) == (
        "failure",
        "invalid_credential",
        "passkey",
        None,
    )


def test_a_wrong_signature_is_refused_and_recorded(client, alice):
    method, key = add_passkey(alice)
    key.private_key = ec.generate_private_key(ec.SECP256R1())  # same id, another key
    response = sign_in_with(client, key)
    assert response.json() == {"error": FAILED}
    assert client.get("/").status_code == 302
    event = SignInEvent.objects.get()
    assert (event.result, event.reason, event.user) == ("failure", "invalid_credential", alice)
    method.refresh_from_db()
    assert method.last_used_at is None


def test_a_user_handle_for_someone_else_is_refused(client, alice, bob):
    _method, key = add_passkey(alice)
    key.user_handle = str(bob.pk).encode()
    assert sign_in_with(client, key).status_code == 400
    assert client.get("/").status_code == 302


def test_a_counter_that_did_not_go_up_means_a_copied_key(client, alice):
    method, key = add_passkey(alice, sign_count=7)
    response = sign_in_with(client, key, counter=7)
    assert response.json() == {"error": FAILED}
    assert client.get("/").status_code == 302
    assert SignInEvent.objects.get().reason == "invalid_credential"
    method.refresh_from_db()
    assert method.sign_count == 7


def test_keys_that_keep_no_counter_sign_in_every_time(client, alice):
    method, key = add_passkey(alice)
    for _ in range(2):
        assert sign_in_with(client, key, counter=0).status_code == 200
        client.post("/accounts/logout/")
    method.refresh_from_db()
    assert method.sign_count == 0


def test_a_disabled_account_cannot_sign_in_with_a_passkey(client, alice):
    _method, key = add_passkey(alice)
    alice.is_active = False
    alice.save()
    response = sign_in_with(client, key)
    assert response.json() == {"error": FAILED}
    assert client.get("/").status_code == 302
    event = SignInEvent.objects.get()
    assert (event.result, event.reason, event.user) == ("failure", "inactive_account", alice)


def test_passkeys_registered_before_the_policy_changed_keep_working(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_passkeys=False)
    _method, key = add_passkey(alice)
    assert sign_in_with(client, key).status_code == 200


def test_an_assertion_for_another_site_is_refused(client, alice):
    _method, key = add_passkey(alice)
    response = sign_in_with(client, key, origin="https://evil.example")
    assert response.json() == {"error": FAILED}
    assert client.get("/").status_code == 302


def test_an_assertion_cannot_be_replayed(client, alice):
    _method, key = add_passkey(alice)
    options = post_json(client, SIGN_IN_OPTIONS_URL).json()
    credential = key.get(options)
    assert post_json(client, SIGN_IN_URL, {"credential": credential}).status_code == 200
    client.post("/accounts/logout/")
    assert post_json(client, SIGN_IN_URL, {"credential": credential}).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b'{"credential": {"rawId": 5}}',
        b'{"credential": {"id": "AA", "rawId": "AA", "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}}',
    ],
)
def test_malformed_sign_in_answers_get_a_message_not_an_error_page(client, db, body):
    post_json(client, SIGN_IN_OPTIONS_URL)
    response = client.post(SIGN_IN_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": FAILED}


def test_passkey_sign_in_is_rate_limited_per_address(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_login": "2/m/ip"}
    _method, key = add_passkey(alice)
    for _ in range(2):
        sign_in_with(client, SoftKey())
    response = sign_in_with(client, key)
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert "Try again in 1 minute" in response.json()["message"]
    assert client.get("/").status_code == 302
    assert SignInEvent.objects.filter(reason="rate_limited", method="passkey").count() == 1
    elsewhere = Client(HTTP_HOST="localhost", REMOTE_ADDR="198.51.100.7")
    assert sign_in_with(elsewhere, key).status_code == 200


def test_the_passkey_second_step_is_rate_limited_too(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_login": "1/m/ip"}
    _method, key = add_passkey(alice, is_default=True)
    post_password(client)
    post_json(client, VERIFY_URL, {"credential": {}})
    options = post_json(client, VERIFY_OPTIONS_URL).json()
    response = post_json(client, VERIFY_URL, {"credential": key.get(options)})
    assert response.status_code == 429
    assert client.get("/").status_code == 302


# The second step after a password -------------------------------------------------------------


def post_password(client):
    return client.post(
        "/accounts/login/", {"login": "alice@northwind.example", "password": PASSWORD}
    )


def test_a_passkey_can_be_the_second_step_after_the_password(client, alice, northwind):
    # Registering for a reset (a passkey can't prove who someone is there) is another test's.
    AuthenticationPolicy.objects.create(organization=northwind, reset_registration_required=False)
    method, key = add_passkey(alice, is_default=True)
    assert post_password(client)["Location"] == "/accounts/verify/"
    page = client.get("/accounts/verify/").content.decode()
    assert "Use my passkey" in page
    assert 'data-complete-url="/accounts/verify/passkey/"' in page
    options = post_json(client, VERIFY_OPTIONS_URL).json()
    assert [c["id"] for c in options["publicKey"]["allowCredentials"]] == [method.credential_id]
    response = post_json(client, VERIFY_URL, {"credential": key.get(options)})
    assert response.json() == {"location": "/"}
    assert client.get("/").status_code == 200
    event = SignInEvent.objects.get()
    assert (event.result, event.method, event.second_factor) == ("success", "password", "passkey")


def test_someone_elses_passkey_does_not_complete_her_second_step(client, alice, bob):
    add_passkey(alice, is_default=True)
    _bobs, bobs_key = add_passkey(bob)
    post_password(client)
    options = post_json(client, VERIFY_OPTIONS_URL).json()
    response = post_json(client, VERIFY_URL, {"credential": bobs_key.get(options)})
    assert response.status_code == 400
    assert "Try again or sign in another way." in response.json()["error"]
    assert client.get("/").status_code == 302
    event = SignInEvent.objects.get()
    assert (event.result, event.reason, event.user, event.second_factor) == (
        "failure",
        "invalid_credential",
        alice,
        "passkey",
    )


def test_the_second_step_needs_a_password_first(client, alice):
    add_passkey(alice)
    response = post_json(client, VERIFY_OPTIONS_URL)
    assert response.status_code == 400
    assert response.json()["location"] == "/accounts/login/"
    assert post_json(client, VERIFY_URL, {"credential": {}}).status_code == 400
    assert client.get("/").status_code == 302


# Re-verifying for security info ---------------------------------------------------------------


def test_a_passkey_reverifies_for_security_info(client, alice):
    method, key = add_passkey(alice, is_default=True)
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    page = client.get("/security-info/verify/?next=/security-info/passkeys/add/").content.decode()
    assert 'data-complete-url="/security-info/verify/passkey/"' in page
    assert 'data-next="/security-info/passkeys/add/"' in page
    options = post_json(client, SUDO_OPTIONS_URL).json()
    assert [c["id"] for c in options["publicKey"]["allowCredentials"]] == [method.credential_id]
    response = post_json(
        client, SUDO_URL, {"credential": key.get(options), "next": "/security-info/passkeys/add/"}
    )
    assert response.json() == {"location": "/security-info/passkeys/add/"}
    assert client.get(ADD_URL).status_code == 200


def test_reverifying_never_sends_the_user_off_site(client, alice):
    _method, key = add_passkey(alice)
    client.force_login(alice)
    options = post_json(client, SUDO_OPTIONS_URL).json()
    response = post_json(
        client, SUDO_URL, {"credential": key.get(options), "next": "//evil.example/"}
    )
    assert response.json() == {"location": "/security-info/"}


def test_someone_elses_passkey_does_not_reverify(client, alice, bob):
    add_passkey(alice)
    _bobs, bobs_key = add_passkey(bob)
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    options = post_json(client, SUDO_OPTIONS_URL).json()
    response = post_json(client, SUDO_URL, {"credential": bobs_key.get(options)})
    assert response.status_code == 400
    assert client.get(ADD_URL).status_code == 302


def test_reverifying_needs_a_signed_in_user(client):
    assert post_json(client, SUDO_OPTIONS_URL).status_code == 302


def test_a_reverification_is_remembered_only_for_a_while(client, alice, time_machine):
    _method, key = add_passkey(alice)
    time_machine.move_to("2025-06-02 09:00", tick=False)
    client.force_login(alice)
    options = post_json(client, SUDO_OPTIONS_URL).json()
    post_json(client, SUDO_URL, {"credential": key.get(options)})
    assert client.get(ADD_URL).status_code == 200
    time_machine.shift(301)
    assert client.get(ADD_URL).status_code == 302


# Answers no browser sends ----------------------------------------------------------------------

UNREADABLE = {
    "error": "bad_request",
    "message": "Your browser's answer could not be read. Try again.",
}


@dataclass
class Waiting:
    """A client part-way through a ceremony: its options fetched, the answer expected at `url`."""

    client: Client
    url: str
    user: object

    def __post_init__(self):
        self.records = self.client.session.get("account_authentication_methods")

    def nothing_changed(self) -> bool:
        """No passkey added, nobody signed in or re-verified: the answer was refused whole."""
        return (
            Method.objects.filter(user=self.user).count() == 1
            and not SignInEvent.objects.filter(result="success").exists()
            and not SecurityEvent.objects.exists()
            and self.client.session.get("account_authentication_methods") == self.records
        )


@pytest.fixture(params=["register", "sign_in", "second_step", "sudo"])
def waiting(request, client, alice):
    add_passkey(alice, is_default=True)
    if request.param == "register":
        client.force_login(alice)
        mark_strong_sign_in(client, alice)
        post_json(client, REGISTER_OPTIONS_URL)
        return Waiting(client, REGISTER_URL, alice)
    if request.param == "sign_in":
        post_json(client, SIGN_IN_OPTIONS_URL)
        return Waiting(client, SIGN_IN_URL, alice)
    if request.param == "second_step":
        post_password(client)
        post_json(client, VERIFY_OPTIONS_URL)
        return Waiting(client, VERIFY_URL, alice)
    client.force_login(alice)
    post_json(client, SUDO_OPTIONS_URL)
    return Waiting(client, SUDO_URL, alice)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"\x00", id="nul"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[]", id="list"),
        pytest.param(b"5", id="number"),
        pytest.param(b'"credential"', id="string"),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, id="10k-nested-lists"),
        pytest.param(b'{"credential": ' * 10_000 + b"{}" + b"}" * 10_000, id="10k-nested-objects"),
        pytest.param(
            b'{"credential": {"response": {"a": {"b": {"c": {"d": {"e": {"f": {}}}}}}}}}',
            id="9-deep",
        ),
        pytest.param(b'{"credential": ' + b"1" * 5000 + b"}", id="5000-digits"),
        pytest.param(b'{"credential": "' + b"x" * 1_000_000 + b'"}', id="1-MB"),
    ],
)
def test_a_body_that_is_not_a_small_json_object_gets_a_clear_400(waiting, body):
    response = waiting.client.post(waiting.url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == UNREADABLE
    assert waiting.nothing_changed()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": None},
        {"credential": 5},
        {"credential": True},
        {"credential": "x"},
        {"credential": []},
        {"credential": [{"id": "AA"}]},
        {"credential": {}},
        {"credential": {"id": None, "rawId": None, "response": None}},
        {"credential": {"id": [], "rawId": {}, "response": []}},
        {"credential": {"id": "AA", "rawId": "AA", "response": {"clientDataJSON": 5}}},
    ],
    ids=json.dumps,
)
def test_a_missing_or_mistyped_credential_gets_a_message(waiting, body):
    response = post_json(waiting.client, waiting.url, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert waiting.nothing_changed()


HOSTILE_VALUES = [None, -1, True, "!!!", [None], {"a": None}, "A" * 5000]


def places(value, path=()):
    """Every place in a JSON object, outermost first, as a tuple of keys."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            yield from places(child, (*path, key))


def replaced(value, path, new):
    if not path:
        return new
    return {**value, path[0]: replaced(value[path[0]], path[1:], new)}


def test_any_part_of_a_registration_can_be_mistyped_without_an_error_page(sudo_client, alice):
    key = SoftKey()
    for place in places(key.create(post_json(sudo_client, REGISTER_OPTIONS_URL).json())):
        for value in HOSTILE_VALUES:
            options = post_json(sudo_client, REGISTER_OPTIONS_URL).json()
            credential = replaced(key.create(options), place, value)
            response = post_json(sudo_client, REGISTER_URL, {"credential": credential})
            assert response.status_code in (200, 400), (place, value)
            Method.objects.filter(user=alice).delete()  # some parts are optional


def test_any_part_of_an_assertion_can_be_mistyped_without_an_error_page(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_login": "1000/m/ip"}
    _method, key = add_passkey(alice)
    template = key.get(post_json(client, SIGN_IN_OPTIONS_URL).json())
    for place in places(template):
        for value in HOSTILE_VALUES:
            options = post_json(client, SIGN_IN_OPTIONS_URL).json()
            credential = replaced(key.get(options), place, value)
            response = post_json(client, SIGN_IN_URL, {"credential": credential})
            assert response.status_code in (200, 400), (place, value)
            if response.status_code == 200:  # some parts are optional
                client.post("/accounts/logout/")


# Keys of algorithms the site did not offer -------------------------------------------------------


def test_the_options_offer_the_algorithms_fido2_can_verify(sudo_client):
    params = post_json(sudo_client, REGISTER_OPTIONS_URL).json()["publicKey"]["pubKeyCredParams"]
    assert {"type": "public-key", "alg": -7} in params  # ES256, what nearly every key uses
    assert -999 not in {p["alg"] for p in params}
    assert -65535 not in {p["alg"] for p in params}  # RS1: fido2 knows it, but it is not offered


@pytest.mark.parametrize("algorithm", [-999, -65535])
def test_a_key_of_an_algorithm_not_offered_is_refused(sudo_client, algorithm):
    response = register(sudo_client, SoftKey(algorithm=algorithm))
    assert response.status_code == 400
    assert "kind of key this site doesn't accept" in response.json()["error"]
    assert not Method.objects.exists()
    assert not SecurityEvent.objects.exists()


def test_a_stored_key_of_an_unsupported_algorithm_is_refused_at_sign_in(client, alice, caplog):
    # Stored before registration checked the algorithm: fido2 cannot verify its signatures.
    method, key = add_passkey(alice, key=SoftKey(algorithm=-999))
    response = sign_in_with(client, key)
    assert response.status_code == 400
    assert response.json() == {"error": FAILED}
    assert client.get("/").status_code == 302
    event = SignInEvent.objects.get()
    assert (event.result, event.reason, event.user) == ("failure", "invalid_credential", alice)
    assert f"passkey {method.pk} of user {alice.pk} has a key of unsupported algorithm -999" in (
        caplog.text
    )


def test_a_stored_key_of_an_unsupported_algorithm_is_left_out_of_the_options(client, alice):
    add_passkey(alice, key=SoftKey(algorithm=-999), is_default=True)
    post_password(client)
    options = post_json(client, VERIFY_OPTIONS_URL).json()["publicKey"]
    assert not options.get("allowCredentials")
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    assert not post_json(client, SUDO_OPTIONS_URL).json()["publicKey"].get("allowCredentials")
    assert post_json(client, REGISTER_OPTIONS_URL).status_code == 200


@pytest.mark.parametrize("stored", ["", "!!!", "AAAA", websafe_encode(b"\x00" * 60)])
def test_a_stored_credential_that_cannot_be_read_is_refused_not_an_error(
    client, alice, stored, caplog
):
    method, key = add_passkey(alice)
    Method.objects.filter(pk=method.pk).update(credential=stored)
    response = sign_in_with(client, key)
    assert response.status_code == 400
    assert response.json() == {"error": FAILED}
    assert f"passkey {method.pk} of user {alice.pk} cannot be read" in caplog.text
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    options = post_json(client, SUDO_OPTIONS_URL)
    assert options.status_code == 200
    assert post_json(client, SUDO_URL, {"credential": key.get(options.json())}).status_code == 400
    assert post_json(client, REGISTER_OPTIONS_URL).status_code == 200


# Where passkeys cannot work -------------------------------------------------------------------

NOT_HERE = "Passkeys can't be used at this address."


@pytest.mark.parametrize(
    ("host", "secure", "works"),
    [
        ("localhost:8000", False, True),
        ("localhost", False, True),
        ("account.example.com", True, True),
        ("account.example.com", False, False),  # plain http anywhere but localhost
        ("127.0.0.1:8000", False, False),
        ("[::1]:8000", False, False),
        ("10.1.2.3", True, False),  # an IP address is never a relying party, https or not
        ("[2001:db8::1]:443", True, False),
    ],
)
def test_passkeys_work_only_at_a_host_name_in_a_secure_context(rf, settings, host, secure, works):
    settings.ALLOWED_HOSTS = ["*"]
    request = rf.get("/", HTTP_HOST=host, secure=secure)
    assert webauthn.works_at(request) is works


@pytest.fixture
def at_an_ip_address(client, settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    client.defaults["HTTP_HOST"] = "127.0.0.1:8000"


def test_at_an_ip_address_the_add_page_says_why_instead_of_offering_the_button(
    sudo_client, at_an_ip_address
):
    html = html_unescape(sudo_client.get(ADD_URL).content.decode())
    assert NOT_HERE in html
    assert "data-passkey=" not in html
    assert "Add passkey" not in html
    refused = post_json(sudo_client, REGISTER_OPTIONS_URL)
    assert refused.status_code == 400
    assert NOT_HERE in refused.json()["error"]
    assert post_json(sudo_client, REGISTER_URL, {"credential": {}}).status_code == 400
    assert not Method.objects.filter(kind=Method.Kind.PASSKEY).exists()


def test_at_an_ip_address_security_info_does_not_offer_a_passkey(sudo_client, at_an_ip_address):
    html = sudo_client.get("/security-info/").content.decode()
    assert "Add a sign-in method" in html
    assert f'href="{ADD_URL}"' not in html


def test_at_localhost_security_info_offers_a_passkey(sudo_client):
    html = sudo_client.get("/security-info/").content.decode()
    assert f'href="{ADD_URL}"' in html


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000"])
def test_the_setup_wizard_recommends_a_passkey_only_where_it_can_work(
    client, alice, settings, host, northwind
):
    # Multi-factor registration alone: with a reset to register for too, the wizard would
    # recommend a method that serves both first.
    AuthenticationPolicy.objects.create(organization=northwind, reset_registration_required=False)
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    client.defaults["HTTP_HOST"] = host
    post_password(client)
    html = client.get("/security-info/setup/").content.decode()
    [recommended] = re.findall(r'<a class="button" href="([^"]+)">', html)
    if host.startswith("localhost"):
        assert recommended == ADD_URL
    else:
        assert recommended == "/security-info/authenticator/add/"
        assert ADD_URL not in html


def test_at_an_ip_address_the_sign_in_page_offers_no_passkey(client, db, at_an_ip_address):
    html = client.get("/accounts/login/").content.decode()
    assert "Sign in with a passkey" not in html
    assert "data-passkey=" not in html


def test_at_an_ip_address_a_passkey_second_step_says_why(client, alice, at_an_ip_address):
    add_passkey(alice, is_default=True)
    post_password(client)
    html = html_unescape(client.get("/accounts/verify/").content.decode())
    assert NOT_HERE in html
    assert "data-passkey=" not in html
