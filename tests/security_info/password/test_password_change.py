"""Changing the password: when the current one is needed, what a change ends, what it records."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.utils import timezone

from organizations.models import AuthenticationPolicy, PasswordPolicy
from portal import crypto
from security_info.models import TemporaryAccessPass
from security_info.password.models import PasswordHistory
from signins.models import SecurityEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, mark_strong_sign_in

URL = "/password/"
NEW = "Blue-Kettle-Sings-42"


def change(client, *, current=None, new=NEW, confirm=None):
    data = {"new_password1": new, "new_password2": new if confirm is None else confirm}
    if current is not None:
        data["current_password"] = current
    return client.post(URL, data)


def asks_current(client) -> bool:
    response = client.get(URL)
    assert response.status_code == 200
    return "current_password" in response.context["form"].fields


def sign_in_with_password(client, email="alice@northwind.example", password=PASSWORD):
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content
    return response


@pytest.fixture
def no_mfa_policy(northwind):
    return AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )


# When the current password is asked for ----------------------------------------------------


def test_it_changes_the_password_given_the_current_one(alice_client, alice):
    response = change(alice_client, current=PASSWORD)
    assert response["Location"] == "/"
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    page = alice_client.get("/")
    assert page.status_code == 200
    assert (
        "Your password was changed. You stay signed in here; your other sessions were signed out."
        in page.content.decode()
    )


def test_a_recent_multi_factor_sign_in_needs_no_current_password(sudo_client, alice):
    assert not asks_current(sudo_client)
    assert "isn't needed" in sudo_client.get(URL).content.decode()
    assert change(sudo_client).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW)


def test_the_multi_factor_window_closes_after_ten_minutes(client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    time_machine.shift(timedelta(minutes=10) - timedelta(seconds=1))
    assert not asks_current(client)
    time_machine.shift(timedelta(minutes=1))
    assert asks_current(client)
    response = change(client)
    assert response.context["form"].errors["current_password"] == ["This field is required."]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_password_only_sign_in_always_needs_the_current_password(client, alice, no_mfa_policy):
    sign_in_with_password(client)
    assert asks_current(client)
    assert change(client).status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_session_begun_with_a_temporary_access_pass_still_needs_the_current_password(
    client, alice, northwind
):
    # Nothing to register first ("Keep your account secure" would come before the page).
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    TemporaryAccessPass.objects.create(
        user=alice,
        digest=crypto.digest("abcdefghjkmn", "temporary_pass"),
        expires_at=timezone.now() + timedelta(hours=1),
        one_time=False,
    )
    response = client.post(
        "/accounts/temporary-pass/", {"email": alice.email, "code": "abcdefghjkmn"}
    )
    assert response.status_code == 302
    assert asks_current(client)
    add_authenticator(alice)
    # Verifying with a method later does not turn the pass session into a password-proved one.
    mark_strong_sign_in(client, alice)
    session = client.session
    session["account_authentication_methods"].insert(
        0, {"method": "temporary_pass", "at": time.time()}
    )
    session.save()
    assert asks_current(client)
    assert "Forgot your current password" not in client.get(URL).content.decode()


def test_a_pass_session_without_a_password_sets_one_without_it(client, alice):
    alice.set_unusable_password()
    alice.save()
    client.force_login(alice)
    mark_strong_sign_in(client, alice, method="temporary_pass")
    assert not asks_current(client)
    assert change(client).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW)


def test_without_a_password_an_old_sign_in_must_verify_first(client, alice):
    alice.set_unusable_password()
    alice.save()
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    response = client.get(URL)
    assert response["Location"] == "/security-info/verify/?next=%2Fpassword%2F"


def test_someone_with_a_method_is_offered_to_verify_instead(alice_client, alice):
    add_authenticator(alice)
    html = alice_client.get(URL).content.decode()
    assert 'href="/security-info/verify/?next=%2Fpassword%2F"' in html


def test_a_wrong_current_password_changes_nothing(
    alice_client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = change(alice_client, current="not my password at all")
    assert response.status_code == 200
    assert response.context["form"].errors["current_password"] == [
        "Your current password is not correct."
    ]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert alice.password_changed_at is None
    assert not SecurityEvent.objects.filter(user=alice).exists()
    assert not PasswordHistory.objects.filter(user=alice).exists()
    assert mail.outbox == []


def test_a_wrong_current_password_does_not_reveal_whether_the_new_one_was_used(alice_client):
    response = change(alice_client, current="a wrong guess", new=PASSWORD)
    assert "new_password1" not in response.context["form"].errors


def test_current_password_guesses_are_rate_limited(alice_client, alice, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "check_current_password": "3/15m/key",
    }
    for _attempt in range(3):
        assert change(alice_client, current="wrong guess").status_code == 200
    assert change(alice_client, current=PASSWORD).status_code == 429
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_confirmation_must_match(sudo_client, alice):
    response = change(sudo_client, confirm="Blue-Kettle-Sings-43")
    assert response.context["form"].errors["new_password2"] == [
        "The two password fields didn’t match."
    ]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# What a change does ------------------------------------------------------------------------


def test_other_sessions_end_and_this_one_stays(alice, no_mfa_policy):
    here, elsewhere = Client(), Client()
    sign_in_with_password(here)
    sign_in_with_password(elsewhere)
    assert elsewhere.get("/").status_code == 200
    assert change(here, current=PASSWORD).status_code == 302
    assert here.get("/").status_code == 200
    assert here.session[SESSION_KEY] == str(alice.pk)
    response = elsewhere.get("/")
    assert response["Location"] == "/accounts/login/?next=/"
    assert SESSION_KEY not in elsewhere.session


def test_a_change_is_recorded_dated_and_announced(
    sudo_client, alice, time_machine, django_capture_on_commit_callbacks
):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    old_hash = alice.password
    with django_capture_on_commit_callbacks(execute=True):
        change(sudo_client)
    alice.refresh_from_db()
    assert alice.password_changed_at == now
    assert list(
        PasswordHistory.objects.filter(user=alice).values_list("password_hash", flat=True)
    ) == [old_hash]
    event = SecurityEvent.objects.get(user=alice)
    assert event.kind == SecurityEvent.Kind.PASSWORD_CHANGED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@northwind.example"]
    assert "Password changed" in mail.outbox[0].subject


def test_a_change_clears_a_pending_must_change(sudo_client, alice):
    alice.must_change_password = True
    alice.save()
    change(sudo_client)
    alice.refresh_from_db()
    assert not alice.must_change_password


# Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["current_password", "new_password1", "new_password2"])
def test_a_nul_byte_is_refused_with_a_message(alice_client, alice, field):
    data = {"current_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    data[field] = "abc\x00defghijklmnop"
    response = alice_client.post(URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == ["Null characters are not allowed."]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_huge_new_password_is_refused_before_any_hashing(alice_client, alice, monkeypatch):
    def no_hashing(*args, **kwargs):
        raise AssertionError("a 10 KB password reached the history check")

    monkeypatch.setattr("security_info.password.passwords._was_used_before", no_hashing)
    huge = "x" * 10_000
    response = change(alice_client, current=PASSWORD, new=huge)
    assert response.status_code == 200
    assert response.context["form"].errors["new_password1"] == ["Use at most 256 characters."]


def test_a_huge_current_password_is_never_hashed(alice_client, alice, monkeypatch):
    def no_hashing(self, raw):
        raise AssertionError("a 10 KB password reached check_password")

    monkeypatch.setattr("portal.models.User.check_password", no_hashing)
    response = change(alice_client, current="y" * 10_000)
    assert response.status_code == 200
    assert "current_password" in response.context["form"].errors


def test_an_empty_form_is_answered_with_messages(alice_client):
    response = alice_client.post(URL, {})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "current_password",
        "new_password1",
        "new_password2",
    }


# The page, the navigation and the Security info row ----------------------------------------


def test_the_page_lists_the_rules(alice_client, northwind):
    PasswordPolicy.objects.create(organization=northwind, min_length=14, require_digit=True)
    html = alice_client.get(URL).content.decode()
    assert "At least 14 characters" in html
    assert "<li>A digit</li>" in html
    assert "<li>Not one of your recent passwords</li>" in html
    assert 'data-url="/password/strength/"' in html
    assert "security_info/password_strength.js" in html


def test_the_page_only_takes_get_and_post(alice_client):
    assert alice_client.put(URL).status_code == 405


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    assert client.get(URL)["Location"] == f"/accounts/login/?next={URL}"


def test_allauths_own_password_pages_are_gone(alice_client):
    assert alice_client.get("/accounts/password/change/").status_code == 404
    assert alice_client.get("/accounts/password/set/").status_code == 404


def test_the_page_takes_three_queries_then_two(alice_client, alice, django_assert_num_queries):
    add_authenticator(alice)
    # Session, user, and the methods, to offer verifying with one instead of the current
    # password (the sign-in cached the organization and its policies).
    with django_assert_num_queries(3):
        assert alice_client.get(URL).status_code == 200
    with django_assert_num_queries(2):  # then the methods come from the cache too
        assert alice_client.get(URL).status_code == 200


def test_the_navigation_and_overview_tile_say_when_it_last_changed(alice_client, alice):
    html = alice_client.get("/").content.decode()
    assert f'href="{URL}"' in html
    assert "Make your password stronger, or change it if someone else knows it." in html
    assert "Never changed here" in html
    alice.password_changed_at = timezone.now() - timedelta(days=12, hours=1)
    alice.save()
    assert "Last changed 12 days ago" in alice_client.get("/").content.decode()


def test_the_security_info_page_links_here_with_the_date(sudo_client, alice):
    alice.password_changed_at = timezone.now().replace(year=2025, month=3, day=14)
    alice.save()
    html = sudo_client.get("/security-info/").content.decode()
    assert f'href="{URL}"' in html
    assert "Last changed March 14, 2025" in html


# Strength feedback while typing ------------------------------------------------------------

STRENGTH_URL = "/password/strength/"


def strength(client, password, **extra):
    return client.post(
        STRENGTH_URL, {"password": password}, content_type="application/json", **extra
    )


def test_strength_answers_with_a_score_a_label_advice_and_problems(alice_client):
    response = strength(alice_client, "password1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    result = response.json()
    assert set(result) == {
        "score",
        "label",
        "meets_policy",
        "verdict",
        "warning",
        "suggestions",
        "problems",
        "on_submit",
    }
    assert (result["score"], result["label"]) == (0, "Very weak")
    assert result["warning"] == "This is a very common password."
    assert result["suggestions"]
    assert "Use at least 12 characters." in result["problems"]


def test_a_long_unusual_passphrase_is_very_strong_with_no_problems(alice_client):
    result = strength(alice_client, "violet tractor hums beneath quiet dunes").json()
    assert (result["score"], result["label"]) == (4, "Very strong")
    assert result["problems"] == []


def test_strength_lists_every_policy_rule_the_password_breaks(alice_client, northwind):
    PasswordPolicy.objects.create(
        organization=northwind,
        min_length=16,
        require_digit=True,
        require_symbol=True,
        banned_words="kettle",
    )
    problems = strength(alice_client, "bluekettlesings").json()["problems"]
    assert problems == [
        "Use at least 16 characters.",
        "Include a digit.",
        "Include a symbol, such as ! or #.",
        "Your password contains a word your organization doesn't allow, even if some letters "
        "are swapped for look-alikes. Use other words.",
    ]


def test_strength_knows_the_users_name_and_organization(alice_client):
    named = strength(alice_client, "archeralice").json()
    assert named["score"] <= 1
    assert any("easy to guess" in problem for problem in named["problems"])
    assert strength(alice_client, "northwindtraders").json()["score"] <= 1


def test_strength_skips_the_reuse_check_which_hashes(alice_client, monkeypatch):
    def no_hashing(*args, **kwargs):
        raise AssertionError("the strength check hashed the password")

    monkeypatch.setattr("security_info.password.passwords._was_used_before", no_hashing)
    assert strength(alice_client, PASSWORD).status_code == 200


def test_strength_of_a_huge_password_is_quick_and_says_too_long(alice_client):
    started = time.monotonic()
    result = strength(alice_client, "Zq9!" * 2500).json()
    assert time.monotonic() - started < 2
    assert "Use at most 256 characters." in result["problems"]


def test_strength_of_nothing_is_very_weak(alice_client):
    result = strength(alice_client, "").json()
    assert (result["score"], result["label"]) == (0, "Very weak")


@pytest.mark.parametrize(
    "body", ["not json", "[]", '{"password": 42}', "{}", "[" * 100_000, '"\\ud800"']
)
def test_strength_refuses_a_malformed_request(alice_client, body):
    response = alice_client.post(STRENGTH_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


def test_strength_copes_with_odd_characters(alice_client):
    assert strength(alice_client, "\x00\ud800 €𝄞 tab\there").status_code == 200


def test_strength_checks_are_rate_limited(alice_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "strength_check": "2/m/ip"}
    assert strength(alice_client, "one").status_code == 200
    assert strength(alice_client, "two").status_code == 200
    response = strength(alice_client, "three")
    assert response.status_code == 429
    assert response.json() == {
        "error": "rate_limited",
        "message": "For your security we have paused this for now. Try again in 1 minute.",
        "retry_after": 60,
    }
    assert response["Retry-After"] == "60"


def test_strength_is_for_signed_in_people_only(client, db):
    response = strength(client, "password1")
    assert response["Location"] == f"/accounts/login/?next={STRENGTH_URL}"


def test_strength_only_takes_post(alice_client):
    assert alice_client.get(STRENGTH_URL).status_code == 405


def test_strength_needs_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert strength(client, "password1").status_code == 403
