"""The Security info page: the list, deleting a method, the default method, sudo mode."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from portal.delivery import recent_outbox
from security_info.kinds import Row
from security_info.models import AppPassword, Method, RecoveryCode, SecurityAnswer, SecurityQuestion
from security_info.services import add_method
from signins.models import SecurityEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import (
    add_authenticator,
    add_email,
    add_phone,
    mark_strong_sign_in,
)


def test_it_lists_every_method_with_its_detail(sudo_client, alice):
    add_authenticator(alice, name="Pixel")
    add_phone(alice, channel="sms")
    html = sudo_client.get("/security-info/").content.decode()
    for text in [
        "Authenticator app",
        "Pixel",
        "Phone",
        "+44 7700 900123",
        "Password",
        "Never used".lower(),
    ]:
        assert text in html


def test_each_action_names_what_it_acts_on_once(sudo_client, alice):
    add_authenticator(alice, name="Pixel")
    add_phone(alice, channel="sms")
    SecurityAnswer.objects.create(
        user=alice, question=SecurityQuestion.objects.first(), answer_hash="x"
    )
    html = sudo_client.get("/security-info/").content.decode()
    for name in [
        "Change password",
        "Delete authenticator app Pixel",
        "Change phone +44 7700 900123",
        "Delete phone +44 7700 900123",
        "Delete security questions",
    ]:
        assert f'aria-label="{name}"' in html
    assert "security questions security questions" not in html.lower()


@pytest.mark.parametrize(
    ("ago", "said"),
    [
        (None, "never used"),
        (timedelta(seconds=20), "last used just now"),
        (timedelta(minutes=1), "last used 1 minute ago"),
        (timedelta(hours=5, minutes=40), "last used 5 hours ago"),
        (timedelta(days=6), "last used 6 days ago"),
    ],
)
def test_last_use_is_said_as_people_say_it(ago, said):
    now = timezone.now()
    row = Row(kind="Phone", detail="", actions=[], added=now, used=ago and now - ago)
    # timesince keeps "5 hours" together with a no-break space.
    assert row.used_text.replace("\N{NO-BREAK SPACE}", " ") == said


def test_a_use_more_than_a_week_ago_is_a_date():
    used = datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert (
        Row(kind="Phone", detail="", actions=[], used=used).used_text == "last used March 2, 2026"
    )


def test_what_cannot_be_added_any_more_is_named_once(sudo_client, alice):
    add_phone(alice)
    add_email(alice)
    html = sudo_client.get("/security-info/").content.decode()
    assert "Already set up: Phone and Email." in html
    assert "/security-info/authenticator/add/" in html
    assert "most you can add" not in html


def test_nothing_to_add_hides_the_add_section(sudo_client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind,
        allow_authenticator=False,
        allow_sms=False,
        allow_voice=False,
        allow_alternate_phone=False,
        allow_office_phone=False,
        allow_security_questions=False,
        allow_passkeys=False,
        allow_recovery_codes=False,
    )
    add_email(alice)
    html = sudo_client.get("/security-info/").content.decode()
    assert 'id="add-method"' not in html
    assert "Add sign-in method" not in html


def test_a_new_user_is_told_to_add_a_method(sudo_client):
    html = sudo_client.get("/security-info/").content.decode()
    assert "None yet" in html
    assert "Add a sign-in method" in html


def test_the_page_only_offers_what_the_policy_allows(sudo_client, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, allow_sms=False, allow_voice=False, allow_email=False
    )
    html = sudo_client.get("/security-info/").content.decode()
    assert "/security-info/authenticator/add/" in html
    assert "/security-info/phone/add/" not in html
    assert "/security-info/email/add/" not in html


def test_a_method_at_its_limit_cannot_be_added_again(sudo_client, alice):
    add_phone(alice)
    html = sudo_client.get("/security-info/").content.decode()
    assert "/security-info/phone/add/" not in html
    assert "Already set up: Phone." in html


def test_security_questions_are_not_offered_to_admins(client, admin_user):
    client.force_login(admin_user)
    mark_strong_sign_in(client, admin_user)
    assert (
        "/security-info/security-questions/add/"
        not in client.get("/security-info/").content.decode()
    )


@pytest.mark.parametrize("size", [1, 8])
def test_the_page_takes_eight_queries_then_two_whatever_the_data_size(
    sudo_client, alice, bob, size, django_assert_num_queries
):
    question_ids = SecurityQuestion.objects.values_list("pk", flat=True)
    for person in (alice, bob):
        for n in range(min(size, 5)):
            add_authenticator(person, name=f"App {n}")
        for n in range(size):
            AppPassword.objects.create(user=person, name=f"App {n}", digest=f"{person.pk}-{n}")
            RecoveryCode.objects.create(user=person, digest=f"{person.pk}-{n}")
        for question_id in question_ids[:3]:
            SecurityAnswer.objects.create(user=person, question_id=question_id, answer_hash="x")
        add_phone(person)
        SecurityEvent.objects.bulk_create(
            SecurityEvent(user=person, kind="method_added") for _ in range(size * 10)
        )
    # Session, user, methods, then one each for the blocked phone numbers, answers, app
    # passwords, recovery codes and the pass (the sign-in cached the organization and policy).
    with django_assert_num_queries(8):
        response = sudo_client.get("/security-info/")
    assert response.status_code == 200
    # Then all of it comes from the cache until something in it changes: session and user.
    with django_assert_num_queries(2):
        response = sudo_client.get("/security-info/")
    assert response.status_code == 200


# Deleting ------------------------------------------------------------------------------------


def test_delete_asks_first_then_deletes(sudo_client, alice, django_capture_on_commit_callbacks):
    add_authenticator(alice)
    phone = add_phone(alice)
    page = sudo_client.get(f"/security-info/methods/{phone.pk}/delete/")
    assert "There is no undo" in page.content.decode()
    assert Method.objects.filter(pk=phone.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(f"/security-info/methods/{phone.pk}/delete/")
    assert response["Location"] == "/security-info/"
    assert not Method.objects.filter(pk=phone.pk).exists()
    assert SecurityEvent.objects.get(user=alice).kind == "method_deleted"
    assert "Sign-in method deleted" in mail.outbox[-1].subject


@pytest.mark.parametrize("intruder", ["bob", "charlie"])
def test_nobody_else_can_delete_a_method(client, alice, intruder, request):
    method, _app = add_authenticator(alice)
    add_phone(alice)
    other = request.getfixturevalue(intruder)
    client.force_login(other)
    mark_strong_sign_in(client, other)
    assert client.get(f"/security-info/methods/{method.pk}/delete/").status_code == 404
    assert client.post(f"/security-info/methods/{method.pk}/delete/").status_code == 404
    assert Method.objects.filter(pk=method.pk).exists()


@pytest.mark.parametrize("pk", ["abc", "99999999", "1.5", "-1", "１"])
def test_a_malformed_or_unknown_id_is_a_404(sudo_client, pk):
    assert sudo_client.post(f"/security-info/methods/{pk}/delete/").status_code == 404


def test_deleting_the_default_moves_it_to_the_strongest_remaining(sudo_client, alice):
    phone = add_phone(alice, channel="sms", is_default=True)
    app, _totp = add_authenticator(alice)
    add_phone(alice, phone="+447700900999", kind=Method.Kind.OFFICE_PHONE)
    sudo_client.post(f"/security-info/methods/{phone.pk}/delete/")
    app.refresh_from_db()
    assert app.is_default


def test_the_last_multi_factor_method_stays_while_the_policy_requires_one(sudo_client, alice):
    method, _app = add_authenticator(alice)
    response = sudo_client.post(f"/security-info/methods/{method.pk}/delete/", follow=True)
    assert "Add another method first" in response.content.decode()
    assert Method.objects.filter(pk=method.pk).exists()


def test_the_delete_page_says_up_front_that_the_only_method_cannot_go(sudo_client, alice):
    method, _app = add_authenticator(alice)
    html = sudo_client.get(f"/security-info/methods/{method.pk}/delete/").content.decode()
    assert "Authenticator app can't be deleted yet" in html
    assert "Add another method first" in html
    assert 'href="/security-info/#add-method"' in html
    assert "button--danger" not in html
    assert "Delete Authenticator app?" not in html


def test_the_only_method_row_says_why_instead_of_offering_delete(sudo_client, alice):
    method, _app = add_authenticator(alice)
    url = f"/security-info/methods/{method.pk}/delete/"
    html = sudo_client.get("/security-info/").content.decode()
    assert f'<a href="{url}">Why can&#x27;t I delete it?' in html
    assert not re.search(f'<a href="{url}"[^>]*>Delete<', html)
    # With a second method, both can be deleted again.
    add_phone(alice, channel="sms")
    html = sudo_client.get("/security-info/").content.decode()
    assert re.search(f'<a href="{url}"[^>]*>Delete<', html)
    assert "Why can&#x27;t I delete it?" not in html
    page = sudo_client.get(url).content.decode()
    assert "Delete Authenticator app?" in page
    assert "button--danger" in page


def test_a_method_that_is_not_a_second_factor_can_always_go(sudo_client, alice):
    add_authenticator(alice)
    email = Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email="a@home.example")
    html = sudo_client.get(f"/security-info/methods/{email.pk}/delete/").content.decode()
    assert "button--danger" in html


def test_without_the_requirement_the_last_method_can_go(sudo_client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    method, _app = add_authenticator(alice)
    sudo_client.post(f"/security-info/methods/{method.pk}/delete/")
    assert not Method.objects.exists()


def test_delete_only_takes_get_and_post(sudo_client, alice):
    method, _app = add_authenticator(alice)
    assert sudo_client.put(f"/security-info/methods/{method.pk}/delete/").status_code == 405


# The default method --------------------------------------------------------------------------


def test_the_default_can_be_any_sign_in_option(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    app, _totp = add_authenticator(alice)
    phone = add_phone(alice, channel="sms")
    Method.objects.filter(pk=app.pk).update(is_default=True)
    page = sudo_client.get("/security-info/default/").content.decode()
    assert "Text a code to +44 7700 900123" in page
    assert "Call +44 7700 900123" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post("/security-info/default/", {"option": f"{phone.pk}:voice"})
    assert response["Location"] == "/security-info/"
    phone.refresh_from_db()
    assert (phone.is_default, phone.channel) == (True, "voice")
    assert Method.objects.filter(user=alice, is_default=True).count() == 1
    assert SecurityEvent.objects.get(user=alice).kind == "default_changed"
    assert "Default sign-in method changed" in mail.outbox[-1].subject


def test_email_is_never_a_default(sudo_client, alice):
    add_authenticator(alice)
    email = Method.objects.create(user=alice, kind="email", email="alice@home.example")
    add_phone(alice, channel="sms")
    response = sudo_client.post("/security-info/default/", {"option": f"{email.pk}:"})
    assert response.status_code == 200
    email.refresh_from_db()
    assert not email.is_default


def test_another_users_method_cannot_become_the_default(sudo_client, alice, bob):
    add_authenticator(alice)
    add_phone(alice)
    bobs, _totp = add_authenticator(bob)
    response = sudo_client.post("/security-info/default/", {"option": f"{bobs.pk}:"})
    assert response.status_code == 200
    bobs.refresh_from_db()
    assert not bobs.is_default


@pytest.mark.parametrize("option", ["", "garbage", "1:2:3", "99999:sms"])
def test_a_bad_choice_gets_a_message(sudo_client, alice, option):
    add_authenticator(alice)
    add_phone(alice)
    response = sudo_client.post("/security-info/default/", {"option": option})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_system_preferred_challenges_the_strongest_method(client, alice, northwind):

    AuthenticationPolicy.objects.create(organization=northwind, system_preferred=True)
    add_phone(alice, channel="sms", is_default=True)
    add_authenticator(alice)
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    assert "authenticator app" in client.get("/accounts/verify/").content.decode()


# Sudo mode -----------------------------------------------------------------------------------


def test_an_old_sign_in_must_verify_again(client, alice):
    client.force_login(alice)
    _method, app = add_authenticator(alice)
    mark_strong_sign_in(client, alice, seconds_ago=11 * 60)
    response = client.get("/security-info/")
    assert response["Location"] == "/security-info/verify/?next=%2Fsecurity-info%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Enter the code shown in your authenticator app" in page
    response = client.post(response["Location"], {"code": app.now(), "next": "/security-info/"})
    assert response["Location"] == "/security-info/"
    assert client.get("/security-info/").status_code == 200


def test_a_password_sign_in_is_not_enough_when_there_is_a_method(client, alice):
    add_authenticator(alice)
    client.force_login(alice)
    mark_strong_sign_in(client, alice, method="password")
    assert client.get("/security-info/").status_code == 302


def test_without_a_method_the_password_confirms_it_is_you(client, alice):

    client.force_login(alice)
    response = client.get("/security-info/verify/?next=/security-info/")
    assert "Confirm your password" in response.content.decode()
    assert (
        client.post(
            "/security-info/verify/", {"password": "wrong", "next": "/security-info/"}
        ).status_code
        == 200
    )
    response = client.post(
        "/security-info/verify/", {"password": PASSWORD, "next": "/security-info/"}
    )
    assert response["Location"] == "/security-info/"
    assert client.get("/security-info/").status_code == 200


def test_verify_never_sends_people_off_site(client, alice):

    client.force_login(alice)
    response = client.post(
        "/security-info/verify/", {"password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/security-info/"


@pytest.mark.parametrize("target", ["abc", "portal:photo", "./x", "a\x00b"])
def test_verify_reads_a_next_that_is_not_a_path_as_security_info(client, alice, target):
    client.force_login(alice)
    response = client.post("/security-info/verify/", {"password": PASSWORD, "next": target})
    assert response["Location"] == "/security-info/"


def test_sudo_by_phone_sends_a_code_only_on_request(client, alice):

    phone = add_phone(alice, channel="sms", is_default=True)
    client.force_login(alice)
    page = client.get("/security-info/verify/?next=/security-info/")
    assert "Text me a code" in page.content.decode()
    assert recent_outbox() == []
    client.post(
        "/security-info/verify/send/",
        {"option": f"{phone.pk}:sms", "send": "1", "next": "/security-info/"},
    )
    code = recent_outbox()[0]["body"].split()[-1]
    response = client.post(
        "/security-info/verify/?next=/security-info/", {"code": code, "next": "/security-info/"}
    )
    assert response["Location"] == "/security-info/"


def test_the_overview_tile_counts_methods_and_names_the_default(client, alice):
    add_phone(alice, channel="sms", is_default=True)
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert "1 method, default: Text a code to +44 7700 900123" in html
    assert 'href="/security-info/"' in html


def test_the_other_pages_take_a_known_number_of_queries(client, alice, django_assert_num_queries):
    add_authenticator(alice)
    add_phone(alice)
    with django_assert_num_queries(0):  # the sign-in page reads nothing
        client.get("/accounts/login/")
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    # Session, the user, the methods (the text sent at sign-in changed them), whether too many
    # wrong codes locked it; the policy comes from the cache.
    with django_assert_num_queries(4):
        assert client.get("/accounts/verify/").status_code == 200
    client.force_login(alice)
    with django_assert_num_queries(4):  # the same, for sudo mode
        assert client.get("/security-info/verify/").status_code == 200
    mark_strong_sign_in(client, alice)
    with django_assert_num_queries(2):  # session and user: the rest is cached
        assert client.get("/security-info/default/").status_code == 200
    with django_assert_num_queries(3):  # and the count of codes left
        assert client.get("/security-info/recovery-codes/").status_code == 200


# Which kinds may be the default (the policy) --------------------------------------------------


@pytest.fixture
def no_phone_defaults(northwind):
    return AuthenticationPolicy.objects.create(
        organization=northwind, default_method_kinds=["passkey", "authenticator"]
    )


def test_only_the_kinds_the_policy_allows_are_offered_as_default(
    sudo_client, alice, no_phone_defaults
):
    app, _totp = add_authenticator(alice)
    phone = add_phone(alice, channel="sms")
    page = sudo_client.get("/security-info/default/")
    assert [option.method for option in page.context["options"]] == [app]
    response = sudo_client.post("/security-info/default/", {"option": f"{phone.pk}:sms"})
    assert response.status_code == 200
    phone.refresh_from_db()
    assert not phone.is_default


def test_a_default_the_policy_no_longer_allows_gives_way_to_the_strongest_allowed(
    sudo_client, alice, no_phone_defaults
):
    phone = add_phone(alice, channel="sms", is_default=True)
    add_authenticator(alice, name="Pixel")
    response = sudo_client.get("/security-info/")
    html = response.content.decode()
    assert response.context["default"].method.kind == "authenticator"
    assert (
        "Your organization no longer lets Phone be the default sign-in method. Until you "
        "choose another, we ask for your strongest method that may be: " in html
    )
    rows = {row.method_id: row for row in response.context["rows"] if row.method_id}
    assert not rows[phone.pk].is_default
    assert [row.kind for row in rows.values() if row.is_default] == ["Authenticator app"]


def test_a_sign_in_challenges_the_strongest_allowed_instead(client, alice, no_phone_defaults):
    add_phone(alice, channel="sms", is_default=True)
    app, _totp = add_authenticator(alice)
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    assert client.session["security_info.sign_in.option"] == f"{app.pk}:"


def test_without_an_allowed_method_the_page_says_what_to_add(sudo_client, alice, no_phone_defaults):
    add_phone(alice, channel="sms", is_default=True)
    html = sudo_client.get("/security-info/").content.decode()
    assert "Add a method that can be: Passkey or security key, Authenticator app." in html
    assert "None: your organization doesn't let any of your methods be the default." in html
    assert "None yet" not in html


def test_the_first_method_becomes_the_default_only_if_the_policy_allows(
    sudo_client, alice, no_phone_defaults
):
    request = sudo_client.get("/security-info/").wsgi_request
    user = request.user  # alice, read after the policy was made
    phone = add_method(request, user, kind=Method.Kind.MOBILE_PHONE, phone="+447700900123")
    assert not phone.is_default
    app = add_method(request, user, kind=Method.Kind.AUTHENTICATOR, name="Pixel")
    assert app.is_default


def test_by_default_every_kind_that_can_be_the_default_may_be():
    policy = AuthenticationPolicy()
    for kind in ["passkey", "authenticator", "mobile_phone", "alternate_phone", "office_phone"]:
        assert policy.may_be_default(kind)
    assert not policy.may_be_default("email")
