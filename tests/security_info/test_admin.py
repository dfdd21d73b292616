"""The admin for security info: no secrets anywhere, passes shown once, and re-registration."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from organizations.models import AuthenticationPolicy, Organization
from portal import crypto
from security_info.models import (
    AppPassword,
    Method,
    RecoveryCode,
    RegistrationStatus,
    SecurityQuestion,
    TemporaryAccessPass,
)
from security_info.services import require_reregistration
from signins.models import SecurityEvent
from tests.security_info.conftest import add_authenticator, add_phone

PASSES = "/admin/security_info/temporaryaccesspass/"
METHODS = "/admin/security_info/method/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def secrets_of_alice(alice):
    """Alice with one of everything that has a secret; returns the strings that must not show."""
    authenticator, _totp = add_authenticator(alice)
    add_phone(alice)
    Method.objects.create(
        user=alice,
        kind=Method.Kind.PASSKEY,
        name="YubiKey",
        credential_id="Q1JFREVOVElBTC1JRA",
        credential="QVRURVNURUQtQ1JFREVOVElBTC1EQVRB",
    )
    app_password = AppPassword.objects.create(
        user=alice, name="Mail app", digest=crypto.digest("x" * 16, "app_password")
    )
    RecoveryCode.objects.create(user=alice, digest=crypto.digest("abcdefghjk", "recovery_code"))
    tap = TemporaryAccessPass.objects.create(
        user=alice,
        digest=crypto.digest("abcdefghjkmn", "temporary_pass"),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    return [
        authenticator.secret,
        "Q1JFREVOVElBTC1JRA",
        "QVRURVNURUQtQ1JFREVOVElBTC1EQVRB",
        app_password.digest,
        tap.digest,
    ]


def issue(admin_client, user, minutes="", use=""):
    return admin_client.post(f"{PASSES}add/", {"user": user.pk, "minutes": minutes, "use": use})


def shown_pass(response) -> str:
    return re.search(
        r'<output class="shown-secret-value" id="temporary-pass"[^>]*>'
        r"([a-z2-9]{1,4}(?:-[a-z2-9]{1,4})*)</output>",
        response.content.decode(),
    ).group(1)


# Pages and secrets --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        METHODS,
        "/admin/security_info/securityquestion/",
        "/admin/security_info/securityquestion/add/",
        "/admin/security_info/apppassword/",
        PASSES,
        f"{PASSES}add/",
        "/admin/organizations/organization/add/",
    ],
)
def test_admin_pages_open(admin_client, secrets_of_alice, url):
    assert admin_client.get(url).status_code == 200


def test_nothing_secret_is_rendered(admin_client, alice, northwind, secrets_of_alice):
    urls = [METHODS, "/admin/security_info/apppassword/", PASSES]
    urls += [f"{METHODS}{m.pk}/change/" for m in Method.objects.filter(user=alice)]
    urls += [f"/admin/security_info/apppassword/{p.pk}/change/" for p in AppPassword.objects.all()]
    urls += [f"{PASSES}{TemporaryAccessPass.objects.get().pk}/change/"]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in secrets_of_alice:
            assert secret not in html, url


def test_recovery_codes_are_not_in_the_admin(admin_client, db):
    assert admin_client.get("/admin/security_info/recoverycode/").status_code == 404


def test_methods_and_app_passwords_cannot_be_made_or_edited_here(admin_client, secrets_of_alice):
    assert admin_client.get(f"{METHODS}add/").status_code == 403
    assert admin_client.get("/admin/security_info/apppassword/add/").status_code == 403
    method = Method.objects.filter(kind="mobile_phone").get()
    admin_client.post(f"{METHODS}{method.pk}/change/", {"phone": "+15550100"})
    method.refresh_from_db()
    assert method.phone == "+447700900123"


def test_methods_filter_by_kind(admin_client, secrets_of_alice):
    html = admin_client.get(METHODS, {"kind__exact": "passkey"}).content.decode()
    assert "YubiKey" in html
    assert "+447700900123" not in html


def test_deleting_an_app_password_is_logged_for_its_owner(admin_client, alice, secrets_of_alice):
    app_password = AppPassword.objects.get()
    admin_client.post(
        f"/admin/security_info/apppassword/{app_password.pk}/delete/", {"post": "yes"}
    )
    assert not AppPassword.objects.exists()
    event = SecurityEvent.objects.get(user=alice, kind="method_deleted")
    assert "Mail app" in event.detail


def test_the_question_pool_is_searchable(admin_client, db):
    SecurityQuestion.objects.create(text="What was the name of your first robot?")
    html = admin_client.get(
        "/admin/security_info/securityquestion/", {"q": "robot"}
    ).content.decode()
    assert "first robot" in html


@pytest.mark.parametrize(
    "url", [METHODS, PASSES, f"{PASSES}add/", "/admin/security_info/apppassword/"]
)
def test_people_who_are_not_staff_cannot_reach_the_admin(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_organization_admin_shows_its_policy(admin_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, temporary_pass_minutes=90)
    html = admin_client.get(
        f"/admin/organizations/organization/{northwind.pk}/change/"
    ).content.decode()
    for heading in ["Temporary Access Pass", "Passkeys", "Default method"]:
        assert re.search(f">{heading}</h[2-4]>", html)
    assert 'value="90"' in html
    for field in [
        "temporary_pass_min_minutes",
        "temporary_pass_max_minutes",
        "temporary_pass_length",
        "passkey_attestation_required",
        "passkey_restriction",
        "passkey_aaguids",
        "default_method_kinds",
    ]:
        assert f'name="authentication_policy-0-{field}"' in html


def add_organization(admin_client, **policy):
    fields = {
        "name": "Contoso",
        "slug": "contoso",
        "created_at_0": "2025-01-02",
        "created_at_1": "10:00",
    }
    fields |= {"authentication_policy-TOTAL_FORMS": "1" if policy else "0"}
    fields |= {"authentication_policy-INITIAL_FORMS": "0"}
    fields |= {"password_policy-TOTAL_FORMS": "0", "password_policy-INITIAL_FORMS": "0"}
    fields |= {"domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0"}
    fields |= {f"authentication_policy-0-{name}": value for name, value in policy.items()}
    response = admin_client.post("/admin/organizations/organization/add/", fields)
    assert response.status_code == 302
    return AuthenticationPolicy.objects.get(organization=Organization.objects.get(slug="contoso"))


def test_an_organization_made_in_the_admin_gets_a_default_policy(admin_client, db):
    policy = add_organization(admin_client)
    assert (policy.temporary_pass_minutes, policy.allow_recovery_codes) == (60, True)


POLICY_FORM = {
    "remember_browser_days": "0",
    "security_questions_required": "3",
    "reset_gates": "1",
    "reset_security_questions": "3",
    "temporary_pass_min_minutes": "10",
    "temporary_pass_minutes": "30",
    "temporary_pass_max_minutes": "60",
    "temporary_pass_length": "8",
    "default_method_kinds": ["passkey", "authenticator"],
    "call_verification": "approve",
    "call_block_days": "90",
    "reset_registration_skip_days": "14",
    "reconfirm_days": "180",
}


def test_the_policy_can_be_set_when_making_the_organization(admin_client, db):
    policy = add_organization(admin_client, **POLICY_FORM)
    assert (policy.temporary_pass_minutes, policy.allow_recovery_codes) == (30, False)
    assert policy.default_method_kinds == ["passkey", "authenticator"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"temporary_pass_min_minutes": "90"},
            "temporary_pass_min_minutes",
            "The shortest cannot be above the longest.",
        ),
        (
            {"temporary_pass_minutes": "61"},
            "temporary_pass_minutes",
            "The default must be within the shortest and the longest lifetime.",
        ),
        ({"temporary_pass_max_minutes": "43201"}, "temporary_pass_max_minutes", None),
        ({"temporary_pass_min_minutes": "9"}, "temporary_pass_min_minutes", None),
        ({"temporary_pass_length": "7"}, "temporary_pass_length", None),
        ({"temporary_pass_length": "49"}, "temporary_pass_length", None),
        ({"default_method_kinds": []}, "default_method_kinds", None),
        ({"default_method_kinds": ["email"]}, "default_method_kinds", None),
        (
            {"passkey_restriction": "allow", "passkey_aaguids": " \n"},
            "passkey_aaguids",
            "List the models to allow: an empty list would allow none.",
        ),
        (
            {"passkey_aaguids": "cb69481e-8ff7-4039-93ec-0a2729a154a8\nYubiKey 5"},
            "passkey_aaguids",
            "Line 2, “YubiKey 5”, is not an AAGUID: it looks like "
            "cb69481e-8ff7-4039-93ec-0a2729a154a8.",
        ),
    ],
)
def test_a_policy_that_does_not_hold_together_is_refused(admin_client, db, changes, field, message):
    fields = {"name": "Contoso", "slug": "contoso"}
    fields |= {"created_at_0": "2025-01-02", "created_at_1": "10:00"}
    fields |= {"authentication_policy-TOTAL_FORMS": "1", "authentication_policy-INITIAL_FORMS": "0"}
    fields |= {"password_policy-TOTAL_FORMS": "0", "password_policy-INITIAL_FORMS": "0"}
    fields |= {"domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0"}
    policy = POLICY_FORM | changes
    fields |= {f"authentication_policy-0-{name}": value for name, value in policy.items()}
    response = admin_client.post("/admin/organizations/organization/add/", fields)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][1].formset.forms[0].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not Organization.objects.filter(slug="contoso").exists()


def test_aaguids_may_be_in_any_case_and_with_blank_lines(admin_client, db):
    policy = add_organization(
        admin_client,
        **POLICY_FORM,
        passkey_restriction="allow",
        passkey_aaguids="CB69481E-8FF7-4039-93EC-0A2729A154A8\n\n  ee882879-721c-4913-9775-3dfcce97072a ",
    )
    assert policy.allows_passkey_model("cb69481e-8ff7-4039-93ec-0a2729a154a8")
    assert policy.allows_passkey_model("ee882879-721c-4913-9775-3dfcce97072a")
    assert not policy.allows_passkey_model("00000000-0000-0000-0000-000000000000")
    assert not policy.allows_passkey_model("")


def test_the_policy_says_how_calls_verify(admin_client, db):
    form = POLICY_FORM | {"call_verification": "code", "call_block_days": "30"}
    policy = add_organization(admin_client, **form)
    assert (policy.call_verification, policy.call_fraud_reports) == ("code", False)
    assert policy.call_block_days == 30


# Issuing a Temporary Access Pass ------------------------------------------------------------


def test_an_admin_issues_a_pass_that_is_shown_once(admin_client, admin_user, alice):
    response = issue(admin_client, alice)
    issued = TemporaryAccessPass.objects.get(user=alice)
    assert response["Location"] == f"{PASSES}{issued.pk}/issued/"
    page = admin_client.get(response["Location"])
    code = shown_pass(page)
    assert "no-store" in page["Cache-Control"]
    assert crypto.matches(code.replace("-", ""), "temporary_pass", issued.digest)
    assert issued.issued_by == admin_user
    assert code not in admin_client.get(f"{PASSES}{issued.pk}/change/").content.decode()
    again = admin_client.get(response["Location"])
    assert again["Location"] == PASSES
    assert code not in admin_client.get(PASSES).content.decode()


def test_issuing_a_pass_is_logged_with_the_admin_as_actor(admin_client, admin_user, alice):
    issue(admin_client, alice)
    event = SecurityEvent.objects.get(user=alice, kind="temporary_pass_issued")
    assert event.actor == admin_user


def test_the_issued_pass_signs_the_user_in(admin_client, alice):
    code = shown_pass(admin_client.get(issue(admin_client, alice)["Location"]))
    response = Client().post("/accounts/temporary-pass/", {"email": alice.email, "code": code})
    assert response["Location"] == "/security-info/"


def test_the_lifetime_and_use_follow_the_policy_by_default(
    admin_client, alice, northwind, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    AuthenticationPolicy.objects.create(
        organization=northwind, temporary_pass_minutes=120, temporary_pass_one_time=False
    )
    issue(admin_client, alice)
    issued = TemporaryAccessPass.objects.get(user=alice)
    assert issued.expires_at == timezone.now() + timedelta(minutes=120)
    assert issued.one_time is False


def test_the_admin_picks_a_lifetime_within_the_policy_and_single_use(
    admin_client, alice, northwind, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    AuthenticationPolicy.objects.create(
        organization=northwind, temporary_pass_min_minutes=10, temporary_pass_one_time=False
    )
    issue(admin_client, alice, minutes="15", use="single")
    issued = TemporaryAccessPass.objects.get(user=alice)
    assert issued.expires_at == timezone.now() + timedelta(minutes=15)
    assert issued.one_time is True


def test_by_default_a_pass_lasts_one_to_eight_hours(admin_client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    issue(admin_client, alice, minutes="480")
    issued = TemporaryAccessPass.objects.get(user=alice)
    assert issued.expires_at == timezone.now() + timedelta(hours=8)


@pytest.mark.parametrize("minutes", ["59", "481", "9", "-5", "soon", "99999999999"])
def test_the_lifetime_is_bounded_by_the_policy(admin_client, alice, minutes):
    response = issue(admin_client, alice, minutes=minutes)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["minutes"]
    assert not TemporaryAccessPass.objects.exists()


def test_the_bounds_are_the_ones_of_the_users_organization(admin_client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind,
        temporary_pass_min_minutes=30,
        temporary_pass_minutes=45,
        temporary_pass_max_minutes=90,
    )
    response = issue(admin_client, alice, minutes="120")
    assert response.context["adminform"].form.errors["minutes"] == [
        "This user's organization allows 30 to 90 minutes (45 if left blank)."
    ]
    issue(admin_client, alice)
    issued = TemporaryAccessPass.objects.get(user=alice)
    assert issued.expires_at - issued.created_at == timedelta(minutes=45)


def test_a_multi_use_pass_is_refused_where_the_policy_wants_single_use(admin_client, alice):
    response = issue(admin_client, alice, use="multi")
    assert response.context["adminform"].form.errors["use"] == [
        "This user's organization allows only single-use passes."
    ]
    assert not TemporaryAccessPass.objects.exists()


def test_a_multi_use_pass_signs_in_several_times(admin_client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, temporary_pass_one_time=False)
    code = shown_pass(admin_client.get(issue(admin_client, alice, use="multi")["Location"]))
    for _sign_in in range(3):
        client = Client()
        client.post("/accounts/temporary-pass/", {"email": alice.email, "code": code})
        assert client.session["_auth_user_id"] == str(alice.pk)


@pytest.mark.parametrize("length", [8, 13, 48])
def test_the_pass_is_as_long_as_the_policy_says_and_unambiguous(
    admin_client, alice, northwind, length
):
    AuthenticationPolicy.objects.create(organization=northwind, temporary_pass_length=length)
    code = shown_pass(admin_client.get(issue(admin_client, alice)["Location"]))
    characters = code.replace("-", "")
    assert len(characters) == length
    assert not set(characters) & set("0o1liI")
    assert (
        Client().post("/accounts/temporary-pass/", {"email": alice.email, "code": code})["Location"]
        == "/security-info/"
    )


def test_by_default_a_pass_has_eight_characters(admin_client, alice):
    code = shown_pass(admin_client.get(issue(admin_client, alice)["Location"]))
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}", code)


def test_issuing_again_replaces_the_pass(admin_client, alice):
    first = shown_pass(admin_client.get(issue(admin_client, alice)["Location"]))
    second = shown_pass(admin_client.get(issue(admin_client, alice)["Location"]))
    assert TemporaryAccessPass.objects.filter(user=alice).count() == 1
    client = Client()
    client.post("/accounts/temporary-pass/", {"email": alice.email, "code": first})
    assert "_auth_user_id" not in client.session
    client.post("/accounts/temporary-pass/", {"email": alice.email, "code": second})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_deleting_a_pass_in_the_admin_is_logged(admin_client, alice):
    issue(admin_client, alice)
    issued = TemporaryAccessPass.objects.get()
    admin_client.post(f"{PASSES}{issued.pk}/delete/", {"post": "yes"})
    assert not TemporaryAccessPass.objects.exists()
    assert SecurityEvent.objects.filter(user=alice, kind="method_deleted").exists()


# Require re-registration --------------------------------------------------------------------


def test_require_reregistration_deletes_phones_apps_and_app_passwords(
    admin_client, admin_user, alice, bob, secrets_of_alice
):
    add_phone(alice, kind=Method.Kind.OFFICE_PHONE, phone="+14255550100")
    Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email="alice@home.example")
    bobs_phone = add_phone(bob)
    selected = Method.objects.filter(user=alice, kind="authenticator").values_list("pk", flat=True)
    response = admin_client.post(
        METHODS,
        {"action": "require_reregistration", "_selected_action": list(selected)},
        follow=True,
    )
    assert "1 user will register their methods again" in response.content.decode()
    assert set(Method.objects.filter(user=alice).values_list("kind", flat=True)) == {
        "passkey",
        "email",
    }
    assert not AppPassword.objects.filter(user=alice).exists()
    assert Method.objects.filter(pk=bobs_phone.pk).exists()
    event = SecurityEvent.objects.get(user=alice, kind="methods_reset")
    assert event.actor == admin_user
    assert not SecurityEvent.objects.filter(user=bob).exists()


def test_require_reregistration_counts_each_user_once(rf, admin_user, alice, bob):
    add_authenticator(alice)
    add_phone(alice)
    add_phone(bob)
    request = rf.post("/admin/")
    request.user = admin_user
    assert require_reregistration(request, [alice, bob]) == 2
    assert not Method.objects.exists()
    assert SecurityEvent.objects.filter(kind="methods_reset").count() == 2


def test_admins_read_when_people_last_confirmed_their_info(admin_client, alice):
    status = RegistrationStatus.objects.create(
        user=alice, last_confirmed_at=timezone.now() - timedelta(days=3)
    )
    page = "/admin/security_info/registrationstatus/"
    assert "Alice Archer" in admin_client.get(page).content.decode()
    html = admin_client.get(f"{page}{status.pk}/change/").content.decode()
    assert "Last confirmed their info" in html
    assert 'name="last_confirmed_at' not in html  # read only
    assert admin_client.post(f"{page}{status.pk}/delete/").status_code == 403
    assert RegistrationStatus.objects.filter(pk=status.pk).exists()
