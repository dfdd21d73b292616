""" "Keep your account secure" right after signing in, and the review of one's security info."""

import re
from datetime import timedelta

import pyotp
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from security_info.models import RegistrationStatus, SecurityQuestion
from tests.factories import PASSWORD
from tests.security_info.conftest import TEMPORARY_PASS, add_authenticator, add_email, give_pass

SETUP = "/security-info/setup/"
REVIEW = "/security-info/review/"


@pytest.fixture(autouse=True)
def _no_phones(settings, client):
    settings.PHONE_BACKEND = "none"
    # Served as localhost, where passkeys work (at the test client's "testserver" over plain
    # http, they would not be offered).
    client.defaults["HTTP_HOST"] = "localhost"


def sign_in(client, user, next_url=""):
    data = {"login": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def add_authenticator_app(client) -> pyotp.TOTP:
    page = client.get("/security-info/authenticator/add/").content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', page)[1]
    totp = pyotp.TOTP(secret)
    response = client.post(
        "/security-info/authenticator/add/", {"name": "Phone", "code": totp.now()}
    )
    assert response["Location"] == "/security-info/"
    return totp


def answer_questions(client) -> None:
    questions = list(SecurityQuestion.objects.filter(is_active=True)[:3])
    data = {}
    for n, (question, answer) in enumerate(
        zip(questions, ["Lisbon", "Rex", "Blue"], strict=True), 1
    ):
        data |= {f"question_{n}": question.pk, f"answer_{n}": answer}
    assert (
        client.post("/security-info/security-questions/add/", data)["Location"] == "/security-info/"
    )


def text(response) -> str:
    return response.content.decode()


# The wizard.


def test_a_user_without_a_method_must_register_one_first(client, alice):
    assert sign_in(client, alice)["Location"] == "/"
    for url in ["/", "/admin/", "/me/photo/", "/security-info/"]:
        assert client.get(url)["Location"] == SETUP
    page = text(client.get(SETUP))
    assert "Keep your account secure" in page
    assert "Step 1 of 1" in page
    assert 'aria-current="step"' in page
    assert "I want to set up a different method" in page
    assert 'id="portal-nav"' not in page  # the sign-in pages' layout, no portal navigation
    assert "Not now" not in page  # what multi-factor sign-in needs cannot wait


def test_the_add_pages_take_the_wizards_layout_while_it_is_under_way(client, alice):
    sign_in(client, alice)
    page = text(client.get("/security-info/authenticator/add/"))
    assert 'id="portal-nav"' not in page
    assert '<p class="wizard-progress">Keep your account secure</p>' in page
    add_authenticator_app(client)
    client.post("/security-info/setup/done/")
    page = text(client.get("/security-info/security-questions/add/"))
    assert 'id="portal-nav"' in page
    assert "wizard-progress" not in page


def test_the_wizard_recommends_the_most_secure_allowed_method(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_passkeys=False)
    sign_in(client, alice)
    page = text(client.get(SETUP))
    recommended = re.search(r'<a class="button" href="([^"]+)">', page)[1]
    assert recommended == "/security-info/authenticator/add/"


def test_alternate_and_office_phones_are_not_offered(client, alice, settings):
    settings.PHONE_BACKEND = "console"
    sign_in(client, alice)
    page = text(client.get(SETUP))
    assert "/security-info/phone/add/" in page
    assert "alternate" not in page
    assert "office" not in page


def test_adding_the_method_leads_to_a_summary_and_done_to_where_the_user_was_going(client, alice):
    sign_in(client, alice, next_url="/devices/")
    add_authenticator_app(client)
    assert client.get("/security-info/")["Location"] == SETUP
    summary = text(client.get(SETUP))
    assert "You're all set" in summary
    assert "Authenticator app" in summary
    assert "Phone" in summary
    assert "Next time you sign in, we'll ask for:" in summary
    assert client.get("/")["Location"] == SETUP  # until Done
    response = client.post("/security-info/setup/done/")
    assert response["Location"] == "/devices/"
    assert client.get("/").status_code == 200
    assert client.get(SETUP)["Location"] == "/security-info/"
    assert RegistrationStatus.objects.get(user=alice).last_confirmed_at is not None


def test_two_methods_are_asked_one_step_at_a_time(client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, reset_registration_required=True, reset_gates=2
    )
    sign_in(client, alice)
    first = text(client.get(SETUP))
    assert "Step 1 of 2" in first
    assert "Sign-in method" in first
    assert "Password reset method" in first
    add_authenticator_app(client)
    second = text(client.get(SETUP))
    assert "Step 2 of 2" in second
    assert 'Authenticator app<span class="visually-hidden"> (done)' in second
    assert "/security-info/security-questions/add/" in second
    assert "/security-info/passkey/add/" not in second  # a passkey resets nothing
    answer_questions(client)
    summary = text(client.get(SETUP))
    assert "You're all set" in summary
    assert "Security questions" in summary
    assert client.post("/security-info/setup/done/")["Location"] == "/"


def test_done_before_the_last_step_changes_nothing(client, alice):
    sign_in(client, alice)
    response = client.post("/security-info/setup/done/")
    assert response["Location"] == SETUP
    assert "A step is still missing" in text(client.get(SETUP))
    assert client.get("/")["Location"] == SETUP
    assert not RegistrationStatus.objects.filter(user=alice, last_confirmed_at__isnull=False)


def test_the_wizard_changes_nothing_on_a_get(client, alice):
    sign_in(client, alice)
    assert client.get("/security-info/setup/done/").status_code == 405
    assert client.post(SETUP).status_code == 405
    assert client.get("/security-info/setup/not-now/").status_code == 405


def test_done_never_leads_off_site(client, alice):
    sign_in(client, alice, next_url="https://evil.example/")
    add_authenticator_app(client)
    session = client.session
    session["portal.interrupted_url"] = "https://evil.example/"  # as if it had got through
    session.save()
    assert client.post("/security-info/setup/done/")["Location"] == "/"


# Putting it off.


@pytest.fixture
def reset_only(northwind):
    return AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=True
    )


def test_reset_registration_may_be_put_off_until_the_next_sign_in(client, alice, reset_only):
    sign_in(client, alice, next_url="/devices/")
    page = text(client.get(SETUP))
    assert "Step 1 of 1" in page
    assert "Password reset method" in page
    assert "Not now" in page
    response = client.post("/security-info/setup/not-now/")
    assert response["Location"] == "/devices/"
    assert client.get("/").status_code == 200  # the session goes on
    assert RegistrationStatus.objects.get(user=alice).last_skipped_at is not None
    client.post("/accounts/logout/")
    sign_in(client, alice)
    assert client.get("/")["Location"] == SETUP


def test_once_the_days_are_over_it_cannot_be_put_off(client, alice, reset_only):
    RegistrationStatus.objects.create(
        user=alice, first_asked_at=timezone.now() - timedelta(days=15)
    )
    sign_in(client, alice)
    assert "Not now" not in text(client.get(SETUP))
    response = client.post("/security-info/setup/not-now/")
    assert response["Location"] == SETUP
    assert "can&#x27;t be put off" in text(client.get(SETUP))
    assert client.get("/")["Location"] == SETUP


def test_no_interrupt_when_the_policy_requires_nothing(client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    sign_in(client, alice)
    assert client.get("/").status_code == 200
    assert client.get(SETUP)["Location"] == "/security-info/"


def test_signing_out_stays_possible(client, alice):
    sign_in(client, alice)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")


# A Temporary Access Pass.


def test_a_temporary_access_pass_leads_into_the_wizard(client, alice):
    give_pass(alice)
    response = client.post(
        "/accounts/temporary-pass/", {"email": alice.email, "code": TEMPORARY_PASS}
    )
    assert response["Location"] == "/security-info/"
    assert client.get("/security-info/")["Location"] == SETUP
    assert "Step 1 of 1" in text(client.get(SETUP))
    add_authenticator_app(client)
    assert client.post("/security-info/setup/done/")["Location"] == "/security-info/"
    assert client.get("/security-info/").status_code == 200


def test_a_temporary_access_pass_with_nothing_missing_goes_straight_on(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind)
    add_authenticator(alice)
    give_pass(alice)
    client.post("/accounts/temporary-pass/", {"email": alice.email, "code": TEMPORARY_PASS})
    assert client.get("/security-info/").status_code == 200


# The review.


@pytest.fixture
def due_for_review(northwind, alice):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=True
    )
    add_email(alice)  # no second sign-in step: the password leads straight to the review
    return RegistrationStatus.objects.create(
        user=alice, last_confirmed_at=timezone.now() - timedelta(days=181)
    )


def test_the_review_lists_the_methods_and_looks_good_records_the_date(
    client, alice, due_for_review
):
    sign_in(client, alice, next_url="/devices/")
    assert client.get("/")["Location"] == REVIEW
    page = text(client.get(REVIEW))
    assert "Is your security info still right?" in page
    assert "alice.archer@example.com" in page
    assert 'href="/security-info/"' in page  # change them there
    security_info = text(client.get("/security-info/"))
    assert 'href="/security-info/review/">Back to the review</a>' in security_info
    response = client.post("/security-info/review/confirm/")
    assert response["Location"] == "/devices/"
    assert client.get("/").status_code == 200
    due_for_review.refresh_from_db()
    assert timezone.now() - due_for_review.last_confirmed_at < timedelta(minutes=1)


def test_another_user_sees_only_their_own_review_state(client, alice, bob, due_for_review):
    add_email(bob, "bob.personal@example.com")
    RegistrationStatus.objects.create(
        user=bob, last_confirmed_at=timezone.now() - timedelta(days=10)
    )
    sign_in(client, bob)
    assert client.get("/").status_code == 200  # bob's own interval has not passed
    assert client.get(REVIEW)["Location"] == "/security-info/"
    assert client.post("/security-info/review/confirm/")["Location"] == "/security-info/"
    due_for_review.refresh_from_db()
    assert timezone.now() - due_for_review.last_confirmed_at > timedelta(days=180)
    # Even with a review pending, the page is bob's own.
    session = client.session
    session["security_info.review"] = True
    session.save()
    page = text(client.get(REVIEW))
    assert "bob.personal@example.com" in page
    assert "alice.archer@example.com" not in page


def test_the_review_confirm_takes_only_a_post(client, alice, due_for_review):
    sign_in(client, alice)
    assert client.get("/security-info/review/confirm/").status_code == 405
    assert client.get("/")["Location"] == REVIEW


# What the pages cost.


def test_the_wizard_and_the_review_take_a_bounded_number_of_queries(
    client, alice, northwind, django_assert_max_num_queries
):
    AuthenticationPolicy.objects.create(
        organization=northwind, reset_registration_required=True, reset_gates=2
    )
    sign_in(client, alice)
    add_authenticator_app(client)
    with django_assert_max_num_queries(12):
        assert "Step 2 of 2" in text(client.get(SETUP))
    answer_questions(client)
    with django_assert_max_num_queries(12):
        assert "You're all set" in text(client.get(SETUP))
    session = client.session
    session["security_info.review"] = True
    session.save()
    client.post("/security-info/setup/done/")
    session = client.session
    session["security_info.review"] = True
    session.save()
    with django_assert_max_num_queries(12):
        assert client.get(REVIEW).status_code == 200


def test_later_pages_read_no_registration_status(client, alice):
    sign_in(client, alice)
    add_authenticator_app(client)
    client.post("/security-info/setup/done/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not [q for q in queries.captured_queries if "registrationstatus" in q["sql"].lower()]


def test_done_works_after_sudo_mode_lapsed_on_the_summary(client, alice, time_machine):
    time_machine.move_to("2026-11-26 12:00:00+00:00", tick=False)
    sign_in(client, alice)
    add_authenticator_app(client)
    assert "You're all set" in text(client.get(SETUP))
    time_machine.shift(timedelta(minutes=15))  # past sudo mode's 10, within the session
    assert client.post("/security-info/setup/done/")["Location"] == "/"
