"""Recovery codes: ten single-use codes, shown once, and the fallback at sign-in."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from portal import crypto
from security_info.models import RecoveryCode
from signins.models import SecurityEvent, SignInEvent
from tests.security_info.conftest import (
    add_authenticator,
    give_codes,
    mark_strong_sign_in,
    start_sign_in,
)

PAGE = "/security-info/recovery-codes/"
GENERATE = "/security-info/recovery-codes/generate/"
SHOW = "/security-info/recovery-codes/new/"
DOWNLOAD = "/security-info/recovery-codes/download/"
SAVED = "/security-info/recovery-codes/saved/"
SIGN_IN = "/accounts/recovery-code/"
CODE_PATTERN = re.compile(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b")


def generate(client) -> list[str]:
    """Create codes through the pages; return them as the result page shows them."""
    assert client.post(GENERATE)["Location"] == SHOW
    return shown_codes(client.get(SHOW))


def shown_codes(response) -> list[str]:
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode())


@pytest.fixture
def policy(northwind):
    return AuthenticationPolicy.objects.create(organization=northwind)


# Creating and seeing codes ------------------------------------------------------------------


def test_it_creates_ten_codes_and_stores_only_their_digests(sudo_client, alice):
    codes = generate(sudo_client)
    assert len(codes) == len(set(codes)) == 10
    digests = set(RecoveryCode.objects.filter(user=alice).values_list("digest", flat=True))
    assert digests == {crypto.digest(code.replace("-", ""), "recovery_code") for code in codes}
    assert not any(code.replace("-", "") in digest for code in codes for digest in digests)


def test_creating_codes_is_logged(sudo_client, alice):
    generate(sudo_client)
    assert SecurityEvent.objects.filter(
        user=alice, kind=SecurityEvent.Kind.RECOVERY_CODES_CREATED
    ).exists()


def test_the_codes_are_shown_only_until_the_user_leaves_the_result_page(sudo_client):
    codes = generate(sudo_client)
    assert shown_codes(sudo_client.get(SHOW)) == codes  # a reload
    page = sudo_client.get(PAGE).content.decode()
    assert not CODE_PATTERN.findall(page)
    assert sudo_client.get(SHOW)["Location"] == PAGE


def test_saying_they_are_saved_forgets_them(sudo_client):
    generate(sudo_client)
    assert sudo_client.post(SAVED)["Location"] == "/security-info/"
    assert sudo_client.get(SHOW)["Location"] == PAGE


def test_the_result_page_offers_download_print_and_copy(sudo_client):
    generate(sudo_client)
    html = sudo_client.get(SHOW).content.decode()
    assert f'href="{DOWNLOAD}"' in html
    assert "data-print" in html
    assert "security_info/print.js" in html
    assert "<script>" not in html  # no inline script under the CSP


def test_the_codes_download_as_a_text_file_from_the_result_page(sudo_client, alice):
    codes = generate(sudo_client)
    response = sudo_client.get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    text = response.content.decode()
    assert alice.email in text
    assert CODE_PATTERN.findall(text) == codes
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "leave", [lambda c: c.post(SAVED), lambda c: c.get(PAGE)], ids=["saved", "page_visited"]
)
def test_the_download_stops_working_once_the_result_page_is_left(sudo_client, leave):
    generate(sudo_client)
    leave(sudo_client)
    response = sudo_client.get(DOWNLOAD)
    assert response["Location"] == PAGE
    assert not CODE_PATTERN.findall(sudo_client.get(PAGE).content.decode())


def test_the_download_needs_freshly_created_codes(sudo_client, alice):
    give_codes(alice, "abcdefghjk")
    assert sudo_client.get(DOWNLOAD)["Location"] == PAGE


def test_creating_codes_again_replaces_the_old_ones(sudo_client, alice):
    first = generate(sudo_client)
    second = generate(sudo_client)
    assert not set(first) & set(second)
    digests = set(RecoveryCode.objects.filter(user=alice).values_list("digest", flat=True))
    assert len(digests) == 10
    assert crypto.digest(first[0].replace("-", ""), "recovery_code") not in digests


def test_only_codes_that_replace_unused_ones_say_the_old_ones_stopped_working(sudo_client, alice):
    stopped = "Your old codes no longer work."
    generate(sudo_client)
    assert stopped not in sudo_client.get(SHOW).content.decode()  # her first codes
    generate(sudo_client)
    assert stopped in sudo_client.get(SHOW).content.decode()
    RecoveryCode.objects.filter(user=alice).update(used_at=timezone.now())
    generate(sudo_client)  # every old code was used: nothing stopped working
    assert stopped not in sudo_client.get(SHOW).content.decode()


def test_the_page_says_how_many_codes_are_left(sudo_client, alice):
    give_codes(alice, "abcdefghjk", "bcdefghjkm", "cdefghjkmn", "defghjkmnp")
    RecoveryCode.objects.filter(digest=crypto.digest("defghjkmnp", "recovery_code")).update(
        used_at=timezone.now()
    )
    html = sudo_client.get(PAGE).content.decode()
    assert "3 codes left" in html
    assert "Create new codes" in html
    assert "message--warning" not in html


def test_the_page_warns_when_two_or_fewer_are_left(sudo_client, alice):
    give_codes(alice, "abcdefghjk", "bcdefghjkm")
    html = sudo_client.get(PAGE).content.decode()
    assert "You have 2 recovery codes left" in html


def test_someone_without_codes_is_offered_to_create_them(sudo_client):
    html = sudo_client.get(PAGE).content.decode()
    assert "You have no recovery codes." in html
    assert "Create 10 codes" in html


def test_the_pages_need_a_recent_strong_sign_in(client, alice):
    client.force_login(alice)
    add_authenticator(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    assert client.get(PAGE)["Location"].startswith("/security-info/verify/")
    assert client.post(GENERATE)["Location"].startswith("/security-info/verify/")
    assert client.get(DOWNLOAD)["Location"].startswith("/security-info/verify/")
    assert not RecoveryCode.objects.exists()


def test_generating_takes_a_post(sudo_client):
    assert sudo_client.get(GENERATE).status_code == 405
    assert not RecoveryCode.objects.exists()


def test_the_organization_can_turn_recovery_codes_off(sudo_client, policy):
    policy.allow_recovery_codes = False
    policy.save()
    assert sudo_client.get(PAGE)["Location"] == "/security-info/"
    assert sudo_client.post(GENERATE)["Location"] == "/security-info/"
    assert not RecoveryCode.objects.exists()


# Signing in with a code ---------------------------------------------------------------------


def test_a_code_finishes_the_sign_in(client, alice):
    add_authenticator(alice)
    give_codes(alice, *[f"abcde{n}hjkm" for n in range(2, 10)])
    start_sign_in(client, alice)
    assert client.get(SIGN_IN).status_code == 200
    response = client.post(SIGN_IN, {"code": "abcde2-hjkm"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)
    event = SignInEvent.objects.get(user=alice)
    assert (event.result, event.method, event.second_factor) == (
        "success",
        "password",
        "recovery_code",
    )
    assert RecoveryCode.objects.filter(user=alice, used_at=None).count() == 7


def test_spaces_dashes_and_capitals_do_not_matter(client, alice):
    add_authenticator(alice)
    give_codes(alice, "abcdefghjk", "bcdefghjkm", "cdefghjkmn")
    start_sign_in(client, alice)
    client.post(SIGN_IN, {"code": " ABCDE - fghjk "})
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_code_made_before_a_key_rotation_still_works(client, alice, settings):
    add_authenticator(alice)
    give_codes(alice, "abcdefghjk", "bcdefghjkm", "cdefghjkmn")
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [settings.FIELD_ENCRYPTION_KEY]
    settings.FIELD_ENCRYPTION_KEY = "the-new-field-key-9876543210zyxwvutsrq"
    start_sign_in(client, alice)
    client.post(SIGN_IN, {"code": "abcde-fghjk"})
    assert client.session[SESSION_KEY] == str(alice.pk)
    assert RecoveryCode.objects.filter(user=alice, used_at=None).count() == 2


def test_a_code_works_only_once(client, alice):
    add_authenticator(alice)
    give_codes(alice, "abcdefghjk", "bcdefghjkm", "cdefghjkmn")
    start_sign_in(client, alice)
    client.post(SIGN_IN, {"code": "abcde-fghjk"})
    client.post("/accounts/logout/")
    start_sign_in(client, alice)
    response = client.post(SIGN_IN, {"code": "abcde-fghjk"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "used already" in str(response.context["form"].errors["code"])


def test_a_wrong_code_fails_and_is_logged(client, alice):
    add_authenticator(alice)
    give_codes(alice, "abcdefghjk")
    start_sign_in(client, alice)
    response = client.post(SIGN_IN, {"code": "zzzzz-zzzzz"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["form"].errors["code"]
    event = SignInEvent.objects.get(user=alice)
    assert (event.result, event.reason, event.second_factor) == (
        "failure",
        "invalid_code",
        "recovery_code",
    )
    assert RecoveryCode.objects.get(user=alice).used_at is None


def test_someone_elses_code_does_not_work(client, alice, bob):
    add_authenticator(alice)
    give_codes(bob, "abcdefghjk")
    start_sign_in(client, alice)
    client.post(SIGN_IN, {"code": "abcde-fghjk"})
    assert SESSION_KEY not in client.session
    assert RecoveryCode.objects.get(user=bob).used_at is None


def test_something_that_is_not_a_code_gets_a_hint(client, alice):
    add_authenticator(alice)
    start_sign_in(client, alice)
    response = client.post(SIGN_IN, {"code": "123456"})
    assert "10 letters and digits" in str(response.context["form"].errors["code"])
    # No failure is counted: the attempt is still waiting on its second step.
    assert list(SignInEvent.objects.values_list("result", flat=True)) == ["interrupted"]


def test_it_warns_after_signing_in_when_few_codes_are_left(client, alice):
    add_authenticator(alice)
    give_codes(alice, "abcdefghjk", "bcdefghjkm", "cdefghjkmn")
    start_sign_in(client, alice)
    response = client.post(SIGN_IN, {"code": "abcdefghjk"}, follow=True)
    assert "You have 2 recovery codes left. Create new ones." in response.content.decode()


def test_guessing_is_rate_limited(client, alice, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "check_recovery_code": "2/m/key",
    }
    add_authenticator(alice)
    give_codes(alice, "abcdefghjk")
    start_sign_in(client, alice)
    client.post(SIGN_IN, {"code": "zzzzz-zzzzz"})
    client.post(SIGN_IN, {"code": "yyyyy-yyyyy"})
    response = client.post(SIGN_IN, {"code": "abcde-fghjk"})  # right, but not even checked
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert RecoveryCode.objects.get(user=alice).used_at is None
    assert SignInEvent.objects.filter(reason="rate_limited", second_factor="recovery_code").exists()


def test_the_sign_in_page_needs_a_pending_sign_in(client, db):
    assert client.get(SIGN_IN)["Location"] == "/accounts/login/"
    assert client.post(SIGN_IN, {"code": "abcde-fghjk"})["Location"] == "/accounts/login/"


def test_codes_do_not_work_when_the_organization_turned_them_off(client, alice, policy):
    policy.allow_recovery_codes = False
    policy.save()
    add_authenticator(alice)
    give_codes(alice, "abcdefghjk")
    start_sign_in(client, alice)
    response = client.post(SIGN_IN, {"code": "abcde-fghjk"})
    assert response["Location"] == "/accounts/verify/"
    assert SESSION_KEY not in client.session
