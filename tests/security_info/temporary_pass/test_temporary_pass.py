"""The Temporary Access Pass: signing in with one, and deleting yours.

Issuing one happens in the admin: see test_admin.py.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from security_info.models import TemporaryAccessPass
from signins.models import SecurityEvent, SignInEvent
from tests.security_info.conftest import (
    TEMPORARY_PASS,
    add_authenticator,
    give_pass,
    mark_strong_sign_in,
)

SIGN_IN = "/accounts/temporary-pass/"
DELETE = "/security-info/temporary-pass/delete/"
GENERIC_ERROR = "That pass didn't work. Check it, or ask your admin for a new one."
PASS = TEMPORARY_PASS


def sign_in(client, email="alice@northwind.example", code=PASS):
    return client.post(SIGN_IN, {"email": email, "code": code})


def form_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


# Signing in ---------------------------------------------------------------------------------


def test_the_sign_in_page_links_to_the_pass_page(client, db):
    assert f'href="{SIGN_IN}"' in client.get("/accounts/login/").content.decode()
    assert client.get(SIGN_IN).status_code == 200


def test_a_pass_signs_in_without_a_second_step(client, alice):
    add_authenticator(alice)  # would otherwise be asked for
    give_pass(alice)
    response = sign_in(client)
    assert response["Location"] == "/security-info/"
    assert client.session[SESSION_KEY] == str(alice.pk)
    event = SignInEvent.objects.get(user=alice)
    assert (event.result, event.method, event.second_factor) == ("success", "temporary_pass", "")


def test_a_pass_sign_in_opens_security_info_without_verifying_again(client, alice):
    add_authenticator(alice)
    give_pass(alice)
    sign_in(client)
    response = client.get("/security-info/")
    assert response.status_code == 200


def test_case_spaces_and_dashes_in_the_pass_do_not_matter(client, alice):
    give_pass(alice)
    sign_in(client, " ALICE@northwind.example ", "ABCD EFGH-JKMN")
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_single_use_pass_cannot_be_used_again(client, alice):
    give_pass(alice, one_time=True)
    sign_in(client)
    assert TemporaryAccessPass.objects.get(user=alice).used_at is not None
    client.post("/accounts/logout/")
    response = sign_in(client)
    assert SESSION_KEY not in client.session
    assert form_errors(response) == [GENERIC_ERROR]
    assert SignInEvent.objects.filter(result="failure").get().reason == "spent_temporary_pass"


def test_a_multi_use_pass_works_until_it_expires(client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    give_pass(alice, minutes=60, one_time=False)
    for _attempt in range(2):
        sign_in(client)
        assert client.session[SESSION_KEY] == str(alice.pk)
        client.post("/accounts/logout/")
    time_machine.shift(timedelta(minutes=61))
    response = sign_in(client)
    assert SESSION_KEY not in client.session
    assert form_errors(response) == [GENERIC_ERROR]


def test_an_expired_pass_is_refused(client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    give_pass(alice, minutes=10)
    time_machine.shift(timedelta(minutes=10, seconds=1))
    response = sign_in(client)
    assert SESSION_KEY not in client.session
    assert form_errors(response) == [GENERIC_ERROR]
    assert TemporaryAccessPass.objects.get(user=alice).used_at is None
    assert SignInEvent.objects.get().reason == "spent_temporary_pass"


def test_an_unknown_address_and_a_wrong_pass_look_the_same(client, alice):
    give_pass(alice)
    wrong = sign_in(client, code="zzzz-zzzz-zzzz")
    unknown = sign_in(client, email="nobody@northwind.example")
    assert wrong.status_code == unknown.status_code == 200
    assert form_errors(wrong) == form_errors(unknown) == [GENERIC_ERROR]
    reasons = set(SignInEvent.objects.values_list("reason", "method"))
    assert reasons == {
        ("wrong_temporary_pass", "temporary_pass"),
        ("unknown_account", "temporary_pass"),
    }


def test_the_sign_in_log_names_a_wrong_pass_for_what_it_is(client, admin_client, alice):
    give_pass(alice)
    sign_in(client, code="zzzz-zzzz-zzzz")
    html = admin_client.get("/admin/signins/signinevent/").content.decode()
    assert '<span class="log-cell log-cell--outcome">Wrong Temporary Access Pass</span>' in html


def test_someone_elses_pass_does_not_work(client, alice, bob):
    give_pass(bob)
    sign_in(client, email=alice.email)
    assert SESSION_KEY not in client.session
    assert TemporaryAccessPass.objects.get(user=bob).used_at is None


def test_a_disabled_account_is_refused(client, alice):
    alice.is_active = False
    alice.save()
    give_pass(alice)
    response = sign_in(client)
    assert SESSION_KEY not in client.session
    assert form_errors(response) == [GENERIC_ERROR]
    assert SignInEvent.objects.get().reason == "inactive_account"


def test_guessing_is_rate_limited(client, alice, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "check_temporary_pass": "2/m/key",
    }
    give_pass(alice)
    sign_in(client, code="zzzz-zzzz-zzzz")
    sign_in(client, code="yyyy-yyyy-yyyy")
    response = sign_in(client)  # the right pass, but not even checked
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert SignInEvent.objects.filter(reason="rate_limited", method="temporary_pass").exists()


def test_bad_input_gets_a_message(client, db):
    response = client.post(SIGN_IN, {"email": "not an address", "code": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "code"}


def test_someone_signed_in_already_goes_to_security_info(alice_client):
    assert alice_client.get(SIGN_IN)["Location"] == "/security-info/"


# Deleting your pass -------------------------------------------------------------------------


def test_the_user_deletes_their_pass_after_confirming(sudo_client, alice):
    give_pass(alice)
    assert "Delete your Temporary Access Pass?" in sudo_client.get(DELETE).content.decode()
    assert TemporaryAccessPass.objects.filter(user=alice).exists()
    assert sudo_client.post(DELETE)["Location"] == "/security-info/"
    assert not TemporaryAccessPass.objects.filter(user=alice).exists()
    assert SecurityEvent.objects.filter(user=alice, kind="method_deleted").exists()


def test_deleting_only_ever_touches_ones_own_pass(client, alice, bob):
    give_pass(alice)
    give_pass(bob, "bbbb-cccc-dddd")
    client.force_login(bob)
    mark_strong_sign_in(client, bob)
    client.post(DELETE)
    assert not TemporaryAccessPass.objects.filter(user=bob).exists()
    assert TemporaryAccessPass.objects.filter(user=alice).exists()


def test_there_is_nothing_to_delete_without_a_pass(sudo_client, bob):
    give_pass(bob)
    assert sudo_client.get(DELETE).status_code == 404
    assert sudo_client.post(DELETE).status_code == 404
    assert TemporaryAccessPass.objects.filter(user=bob).exists()


def test_deleting_needs_a_recent_strong_sign_in(client, alice):
    add_authenticator(alice)
    give_pass(alice)
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    assert client.post(DELETE)["Location"].startswith("/security-info/verify/")
    assert TemporaryAccessPass.objects.filter(user=alice).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_cannot_delete(client, alice, method):
    give_pass(alice)
    assert getattr(client, method)(DELETE)["Location"].startswith("/accounts/login/")
    assert TemporaryAccessPass.objects.filter(user=alice).exists()
