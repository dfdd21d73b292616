"""The session limits and registration rules on an organization's page in the admin."""

import pytest

from organizations.models import AuthenticationPolicy

PAGE = "/admin/organizations/organization/{pk}/change/"


def test_the_session_fields_say_what_empty_means_here(admin_client, northwind, settings):
    settings.SESSION_IDLE_MINUTES = 20
    AuthenticationPolicy.objects.create(organization=northwind)
    html = admin_client.get(PAGE.format(pk=northwind.pk)).content.decode()
    assert "Sessions" in html
    assert "Empty: the site's default, 20." in html
    assert "Empty: the site's default, 12." in html
    assert "Empty: the site's default, 14." in html
    assert "The site's default: offered." in html


def add_organization(admin_client, **sessions):
    fields = {
        "name": "Contoso",
        "slug": "contoso",
        "created_at_0": "2025-01-02",
        "created_at_1": "10:00",
        "authentication_policy-TOTAL_FORMS": "1",
        "authentication_policy-INITIAL_FORMS": "0",
        "password_policy-TOTAL_FORMS": "0",
        "password_policy-INITIAL_FORMS": "0",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
    }
    policy = {
        "remember_browser_days": "0",
        "security_questions_required": "3",
        "reset_gates": "1",
        "reset_security_questions": "3",
        "temporary_pass_min_minutes": "60",
        "temporary_pass_minutes": "60",
        "temporary_pass_max_minutes": "480",
        "temporary_pass_length": "8",
        "default_method_kinds": ["passkey", "authenticator", "mobile_phone"],
        "call_verification": "approve",
        "call_block_days": "90",
        "reset_registration_skip_days": "14",
        "reconfirm_days": "180",
        **sessions,
    }
    fields |= {f"authentication_policy-0-{name}": value for name, value in policy.items()}
    return admin_client.post("/admin/organizations/organization/add/", fields)


def test_an_admin_sets_the_session_limits(admin_client, db):
    response = add_organization(
        admin_client,
        session_idle_minutes="15",
        session_lifetime_hours="8",
        offer_keep_signed_in="False",
        keep_signed_in_days="",
    )
    assert response.status_code == 302
    policy = AuthenticationPolicy.objects.get(organization__slug="contoso")
    assert (
        policy.session_idle_minutes,
        policy.session_lifetime_hours,
        policy.offer_keep_signed_in,
        policy.keep_signed_in_days,
    ) == (15, 8, False, None)


def test_limits_that_do_not_nest_are_refused(admin_client, db):
    response = add_organization(
        admin_client, session_idle_minutes="600", session_lifetime_hours="2"
    )
    assert response.status_code == 200
    assert "Make this shorter than the session lifetime" in response.content.decode()
    assert not AuthenticationPolicy.objects.exists()


RESET_SWITCHES = [
    "reset_enabled",
    "reset_by_email",
    "reset_by_mobile_phone",
    "reset_by_office_phone",
    "reset_by_authenticator",
    "reset_by_security_questions",
]


def test_the_reset_switches_are_on_the_policy_form(admin_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind)
    html = admin_client.get(PAGE.format(pk=northwind.pk)).content.decode()
    for name in [*RESET_SWITCHES, "reset_gates", "reset_security_questions"]:
        assert f'name="authentication_policy-0-{name}"' in html
    fieldset = html.split("Self-service password reset", 1)[1].split("<fieldset", 1)[0]
    assert 'name="authentication_policy-0-reset_by_authenticator"' in fieldset


def test_an_admin_turns_reset_by_phone_off(admin_client, db):
    switches = dict.fromkeys(RESET_SWITCHES, "on") | {"allow_email": "on", "allow_sms": "on"}
    del switches["reset_by_mobile_phone"]
    response = add_organization(admin_client, **switches)
    assert response.status_code == 302
    policy = AuthenticationPolicy.objects.get(organization__slug="contoso")
    assert (policy.reset_enabled, policy.reset_by_email) == (True, True)
    assert not policy.reset_by_mobile_phone


def test_two_verifications_with_one_method_are_refused_on_the_field(admin_client, db):
    response = add_organization(
        admin_client, reset_enabled="on", reset_by_email="on", allow_email="on", reset_gates="2"
    )
    assert response.status_code == 200
    [policy_form] = next(
        inline.formset.forms
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "authentication_policy"
    )
    assert list(policy_form.errors) == ["reset_gates"]
    assert "Two verifications need two different methods" in response.content.decode()
    assert not AuthenticationPolicy.objects.exists()


def test_an_admin_sets_the_registration_rules(admin_client, db):
    response = add_organization(
        admin_client,
        reset_registration_required="on",
        reset_registration_skip_days="0",
        reconfirm_days="365",
    )
    assert response.status_code == 302
    policy = AuthenticationPolicy.objects.get(organization__slug="contoso")
    assert (
        policy.reset_registration_required,
        policy.reset_registration_skip_days,
        policy.reconfirm_days,
    ) == (True, 0, 365)


@pytest.mark.parametrize(
    ("field", "value"), [("reconfirm_days", "731"), ("reset_registration_skip_days", "31")]
)
def test_registration_days_out_of_range_are_refused(admin_client, db, field, value):
    response = add_organization(admin_client, **{field: value})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to" in response.content.decode()
    assert not AuthenticationPolicy.objects.filter(organization__slug="contoso").exists()


def test_the_policy_admin_shows_the_registration_fieldset(admin_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind)
    html = admin_client.get(
        f"/admin/organizations/organization/{northwind.pk}/change/"
    ).content.decode()
    assert "Registration" in html
    assert "days before people are asked to confirm their info" in html.lower()
