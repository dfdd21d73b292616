"""When a sign-in asks for security info: what is missing, the window for "Not now", the review
(security_info/registration.py)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from security_info import registration
from security_info.models import Method, RegistrationStatus, SecurityAnswer, SecurityQuestion
from tests.security_info.conftest import (
    add_authenticator,
    add_email,
    add_passkey,
    add_phone,
    mark_strong_sign_in,
)

NOW = "2026-11-26 12:00:00+00:00"


@pytest.fixture(autouse=True)
def _no_phones(settings):
    settings.PHONE_BACKEND = "none"  # the phone test below switches them on


def policy_for(organization, **fields) -> AuthenticationPolicy:
    return AuthenticationPolicy.objects.create(organization=organization, **fields)


def reset_policy(organization, **fields) -> AuthenticationPolicy:
    """Reset on, registering for it required at sign-in, multi-factor sign-in not required."""
    values = {"mfa_required": False, "reset_registration_required": True, **fields}
    return policy_for(organization, **values)


def plan(user, policy):
    return registration.plan(user, policy, list(Method.objects.filter(user=user)))


def keys(plan_) -> list[str]:
    return [kind.key for kind in plan_.choices]


def answer_questions(user, count=3) -> None:
    for question in SecurityQuestion.objects.all()[:count]:
        SecurityAnswer.objects.create(user=user, question=question, answer_hash="unused")


def sign_in_request(rf):
    request = rf.get("/accounts/login/")
    request.session = SessionStore()
    return request


# What is missing, under each policy.


def test_nothing_is_asked_when_neither_multi_factor_nor_reset_registration_is_required(
    alice, northwind
):
    policy = policy_for(northwind, mfa_required=False, reset_registration_required=False)
    assert not plan(alice, policy).due


def test_reset_registration_is_asked_only_while_reset_is_on(alice, northwind):
    policy = reset_policy(northwind, reset_enabled=False)
    assert not plan(alice, policy).due


def test_multi_factor_alone_asks_for_one_sign_in_method(alice, northwind):
    policy = policy_for(northwind, allow_passkeys=False, reset_registration_required=False)
    found = plan(alice, policy)
    assert (found.mfa, found.reset, found.remaining) == (True, 0, 1)
    assert keys(found)[0] == "authenticator"
    assert "email" not in keys(found)
    assert "security_questions" not in keys(found)


def test_one_reset_method_is_asked_and_questions_alone_would_not_do(alice, northwind):
    policy = reset_policy(northwind)
    found = plan(alice, policy)
    assert (found.mfa, found.reset, found.remaining) == (False, 1, 1)
    # Questions never pass a reset's first gate; a passkey resets nothing.
    assert keys(found) == ["authenticator", "email"]


def test_two_reset_methods_may_begin_with_questions(alice, northwind):
    policy = reset_policy(northwind, reset_gates=2)
    found = plan(alice, policy)
    assert found.remaining == 2
    assert keys(found) == ["authenticator", "email", "security_questions"]
    answer_questions(alice)
    found = plan(alice, policy)
    assert found.remaining == 1
    assert keys(found) == ["authenticator", "email"]


def test_questions_only_leave_a_one_gate_reset_still_missing_a_method(alice, northwind):
    policy = reset_policy(northwind)
    answer_questions(alice)
    assert plan(alice, policy).reset == 1


def test_methods_the_reset_does_not_accept_do_not_count(alice, northwind):
    policy = reset_policy(northwind, reset_by_authenticator=False)
    add_authenticator(alice)
    found = plan(alice, policy)
    assert found.reset == 1
    assert keys(found) == ["email"]


def test_enough_reset_methods_end_it(alice, northwind):
    policy = reset_policy(northwind, reset_gates=2)
    add_authenticator(alice)
    add_email(alice)
    assert not plan(alice, policy).due


def test_both_needs_begin_with_a_sign_in_method_that_also_resets(alice, northwind):
    # Two gates: the first method must complete a sign-in; a passkey would not reset.
    policy = policy_for(northwind, reset_registration_required=True, reset_gates=2)
    found = plan(alice, policy)
    assert (found.mfa, found.reset, found.remaining) == (True, 2, 2)
    assert keys(found) == ["authenticator", "passkey"]
    add_authenticator(alice)
    found = plan(alice, policy)
    assert (found.mfa, found.reset, found.remaining) == (False, 1, 1)
    assert keys(found) == ["email", "security_questions"]


def test_a_passkey_first_leaves_both_reset_methods_to_add(alice, northwind):
    policy = policy_for(northwind, reset_registration_required=True, reset_gates=2)
    add_passkey(alice)
    found = plan(alice, policy)
    assert (found.mfa, found.reset) == (False, 2)


def test_alternate_and_office_phones_are_never_offered(alice, northwind, settings):
    settings.PHONE_BACKEND = "console"
    policy = policy_for(northwind, reset_registration_required=True, reset_gates=2)
    # A mobile phone resets a password too, so it comes before a passkey.
    assert keys(plan(alice, policy)) == ["authenticator", "mobile_phone", "passkey"]
    add_phone(alice)
    assert keys(plan(alice, policy)) == ["authenticator", "email", "security_questions"]


def test_an_admin_account_needs_two_reset_methods_and_no_questions(admin_user, northwind):
    policy = reset_policy(northwind)
    add_authenticator(admin_user)
    found = plan(admin_user, policy)
    assert found.reset == 1
    assert keys(found) == ["email"]


def test_a_need_the_person_cannot_meet_is_not_asked(alice, northwind):
    policy = reset_policy(northwind, reset_gates=2, allow_email=False)
    # Authenticator and questions would do, but questions are switched off for reset too.
    policy.reset_by_security_questions = False
    policy.save()
    assert not plan(alice, policy).due


# At sign-in: the window for putting it off.


@pytest.mark.parametrize(
    ("days", "after", "may_skip"),
    [(14, timedelta(days=13, hours=23), True), (14, timedelta(days=14), False), (0, 0, False)],
)
def test_it_may_be_put_off_within_the_days_since_first_asked(
    rf, alice, northwind, time_machine, days, after, may_skip
):
    reset_policy(northwind, reset_registration_skip_days=days)
    time_machine.move_to(NOW, tick=False)
    first = registration.registration_due(sign_in_request(rf), alice)
    assert first == {"may_skip": bool(days), "had": []}
    time_machine.shift(after)
    later = registration.registration_due(sign_in_request(rf), alice)
    assert later["may_skip"] is may_skip
    status = RegistrationStatus.objects.get(user=alice)
    assert status.first_asked_at == timezone.datetime.fromisoformat(NOW)


def test_putting_off_does_not_restart_the_window(rf, alice, northwind, time_machine):
    reset_policy(northwind, reset_registration_skip_days=3)
    time_machine.move_to(NOW, tick=False)
    request = sign_in_request(rf)
    registration.registration_due(request, alice)
    registration.put_off(request, alice)
    time_machine.shift(timedelta(days=3))
    assert registration.registration_due(sign_in_request(rf), alice)["may_skip"] is False
    assert RegistrationStatus.objects.get(user=alice).last_skipped_at is not None


def test_a_sign_in_method_cannot_be_put_off(rf, client, alice):
    # The default policy requires multi-factor sign-in: the window does not apply.
    due = registration.registration_due(sign_in_request(rf), alice)
    assert due["may_skip"] is True  # the window is open…
    client.force_login(alice)
    session = client.session
    session["security_info.must_register"] = due
    session.save()
    # …but the step asks for a sign-in method, so "Not now" is neither offered nor accepted.
    mark_strong_sign_in(client, alice)
    assert "Not now" not in client.get("/security-info/setup/").content.decode()
    response = client.post("/security-info/setup/not-now/")
    assert response["Location"] == "/security-info/setup/"
    assert client.session["security_info.must_register"]
    assert RegistrationStatus.objects.get(user=alice).last_skipped_at is None


def test_a_gap_after_registering_starts_a_new_window(rf, alice, northwind, time_machine):
    reset_policy(northwind, reset_registration_skip_days=3)
    time_machine.move_to(NOW, tick=False)
    registration.registration_due(sign_in_request(rf), alice)
    email = add_email(alice)
    time_machine.shift(timedelta(days=10))
    assert registration.registration_due(sign_in_request(rf), alice) is None
    assert RegistrationStatus.objects.get(user=alice).first_asked_at is None
    email.delete()
    assert registration.registration_due(sign_in_request(rf), alice)["may_skip"] is True


def test_what_the_person_had_is_kept_to_tell_what_the_wizard_added(rf, alice, northwind):
    reset_policy(northwind, reset_gates=2)
    add_passkey(alice)
    assert registration.registration_due(sign_in_request(rf), alice)["had"] == ["passkey"]


# The review.


def reviewing(organization, **fields):
    return reset_policy(organization, reconfirm_days=180, **fields)


def test_the_review_comes_after_the_interval_from_the_last_confirmation(
    rf, alice, northwind, time_machine
):
    reviewing(northwind)
    add_email(alice)
    time_machine.move_to(NOW, tick=False)
    RegistrationStatus.objects.create(user=alice, last_confirmed_at=timezone.now())
    time_machine.shift(timedelta(days=179))
    assert registration.review_due(sign_in_request(rf), alice) is False
    time_machine.shift(timedelta(days=1))
    assert registration.review_due(sign_in_request(rf), alice) is True


def test_someone_never_asked_is_counted_from_their_newest_method(
    rf, alice, northwind, time_machine
):
    reviewing(northwind)
    time_machine.move_to(NOW, tick=False)
    add_email(alice)
    time_machine.shift(timedelta(days=100))
    assert registration.review_due(sign_in_request(rf), alice) is False
    status = RegistrationStatus.objects.get(user=alice)
    assert status.last_confirmed_at == timezone.datetime.fromisoformat(NOW)
    time_machine.shift(timedelta(days=80))
    assert registration.review_due(sign_in_request(rf), alice) is True


def test_deleting_a_method_does_not_bring_the_review_sooner(rf, alice, northwind, time_machine):
    reviewing(northwind, reset_gates=1)
    time_machine.move_to(NOW, tick=False)
    add_email(alice)
    authenticator, _totp = add_authenticator(alice)
    assert registration.review_due(sign_in_request(rf), alice) is False
    time_machine.shift(timedelta(days=30))
    authenticator.delete()
    assert registration.review_due(sign_in_request(rf), alice) is False


@pytest.mark.parametrize(
    "fields",
    [{"reconfirm_days": 0}, {"reset_registration_required": False}, {"reset_enabled": False}],
)
def test_no_review_unless_the_policy_asks_for_one(rf, alice, northwind, time_machine, fields):
    reset_policy(northwind, **{"reconfirm_days": 1, **fields})
    add_email(alice)
    RegistrationStatus.objects.create(
        user=alice, last_confirmed_at=timezone.now() - timedelta(days=400)
    )
    assert registration.review_due(sign_in_request(rf), alice) is False


def test_registration_comes_before_the_review(rf, alice, northwind):
    reviewing(northwind, reset_gates=2)
    add_email(alice)
    RegistrationStatus.objects.create(
        user=alice, last_confirmed_at=timezone.now() - timedelta(days=400)
    )
    assert registration.registration_due(sign_in_request(rf), alice)
    assert registration.review_due(sign_in_request(rf), alice) is False


def test_confirming_restarts_the_interval_and_ends_both(rf, alice, northwind, time_machine):
    reviewing(northwind)
    time_machine.move_to(NOW, tick=False)
    request = sign_in_request(rf)
    request.session["security_info.review"] = True
    request.session["security_info.must_register"] = {"may_skip": False, "had": []}
    registration.confirm(request, alice)
    status = RegistrationStatus.objects.get(user=alice)
    assert status.last_confirmed_at == timezone.datetime.fromisoformat(NOW)
    assert "security_info.review" not in request.session
    assert "security_info.must_register" not in request.session


def test_both_checks_read_the_status_once_per_sign_in(
    rf, alice, northwind, django_assert_max_num_queries
):
    reviewing(northwind)
    add_email(alice)
    RegistrationStatus.objects.create(user=alice, last_confirmed_at=timezone.now())
    request = sign_in_request(rf)
    # The policy, the methods, the status, the security answers.
    with django_assert_max_num_queries(4):
        registration.registration_due(request, alice)
        registration.review_due(request, alice)
