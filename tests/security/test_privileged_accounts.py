"""Admin accounts: helpdesk staff cannot take one over, and one text message cannot reset one.

Whoever manages an account's methods, passes or password can become it, so those of a staff
or superuser account are managed only by a superuser or a "privileged authentication
administrator" (portal/privilege.py); roles only a superuser grants.
"""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client

from organizations.models import AuthenticationPolicy
from portal.delivery import recent_outbox
from security_info.models import Method, SecondFactorFailures, TemporaryAccessPass
from security_info.password.models import Lockout
from signins.models import SecurityEvent
from tests.factories import PASSWORD, make_user
from tests.security_info.conftest import add_authenticator, add_phone

PASSES = "/admin/security_info/temporaryaccesspass/"
USERS = "/admin/portal/user/"
MOBILE = "+447400123456"


def staff_with(*codenames, privileged=False, organization=None):
    """A helpdesk account: staff, with only these admin permissions."""
    user = make_user(organization=organization, is_staff=True)
    wanted = [*codenames, *(["manage_privileged_authentication"] if privileged else [])]
    user.user_permissions.set(Permission.objects.filter(codename__in=wanted))
    return user


HELPDESK_PERMISSIONS = (
    "add_temporaryaccesspass",
    "view_temporaryaccesspass",
    "delete_temporaryaccesspass",
    "view_user",
    "change_user",
    "delete_method",
    "view_method",
)


@pytest.fixture
def helpdesk(northwind):
    return staff_with(*HELPDESK_PERMISSIONS, organization=northwind)


@pytest.fixture
def helpdesk_client(helpdesk):
    client = Client()
    client.force_login(helpdesk)
    return client


def issue(client, user):
    return client.post(f"{PASSES}add/", {"user": user.pk, "minutes": "", "use": ""})


def act(client, action, *users):
    return client.post(
        USERS, {"action": action, "_selected_action": [u.pk for u in users]}, follow=True
    )


# Staff cannot become the superuser ---------------------------------------------------------


def test_helpdesk_staff_cannot_issue_a_pass_for_the_superuser(helpdesk_client, admin_user):
    response = issue(helpdesk_client, admin_user)
    assert response.status_code == 200
    assert "Only a privileged authentication administrator" in response.content.decode()
    assert not TemporaryAccessPass.objects.exists()
    assert not SecurityEvent.objects.filter(user=admin_user).exists()


def test_nor_for_another_staff_account(helpdesk_client, northwind):
    colleague = staff_with("view_user", organization=northwind)
    issue(helpdesk_client, colleague)
    assert not TemporaryAccessPass.objects.exists()


def test_helpdesk_staff_issue_passes_for_ordinary_users_and_the_user_is_told(
    helpdesk_client, helpdesk, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = issue(helpdesk_client, alice)
    assert response.status_code == 302
    assert TemporaryAccessPass.objects.filter(user=alice).exists()
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.actor) == (SecurityEvent.Kind.TEMPORARY_PASS_ISSUED, helpdesk)
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert helpdesk.email in message.body  # "Made by an administrator: …"


@pytest.mark.parametrize("actor", ["superuser", "privileged administrator"])
def test_a_privileged_role_may_issue_a_pass_for_an_admin(admin_user, northwind, actor):
    target = staff_with("view_user", organization=northwind)
    if actor == "superuser":
        manager = admin_user
    else:
        manager = staff_with(*HELPDESK_PERMISSIONS, privileged=True, organization=northwind)
    client = Client()
    client.force_login(manager)
    assert issue(client, target).status_code == 302
    event = SecurityEvent.objects.get(user=target)
    assert event.actor == manager


def test_the_reported_attack_ends_at_the_form(helpdesk_client, admin_user, client):
    """The attack: a pass for the superuser, shown once, then signing in with it as them."""
    response = issue(helpdesk_client, admin_user)
    assert response.status_code == 200  # the form again, with its error: nothing to show
    shown = helpdesk_client.get(f"{PASSES}add/").content.decode()
    assert "Temporary Access Pass issued" not in shown
    assert not TemporaryAccessPass.objects.filter(user=admin_user).exists()
    assert client.get("/admin/auth/group/add/").status_code == 302  # to the sign-in


def test_helpdesk_staff_cannot_delete_an_admins_pass_or_methods(helpdesk_client, admin_user):
    issued = TemporaryAccessPass.objects.create(
        user=admin_user, digest="0" * 64, expires_at="2099-01-01T00:00Z"
    )
    method = add_phone(admin_user, MOBILE)
    assert helpdesk_client.post(f"{PASSES}{issued.pk}/delete/", {"post": "yes"}).status_code == 403
    assert (
        helpdesk_client.post(
            f"/admin/security_info/method/{method.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    bulk = helpdesk_client.post(
        "/admin/security_info/method/",
        {"action": "delete_selected", "_selected_action": [method.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 403)
    assert Method.objects.filter(pk=method.pk).exists()
    assert TemporaryAccessPass.objects.filter(pk=issued.pk).exists()


def test_user_actions_leave_admin_accounts_alone(helpdesk_client, admin_user, alice):
    add_phone(admin_user, MOBILE)
    admin_user.set_password(PASSWORD)
    admin_user.save()
    Lockout.objects.create(user=admin_user, familiar=False, failures=3)

    response = act(helpdesk_client, "reset_temporary_password", admin_user)
    assert "only a privileged authentication administrator" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)

    act(helpdesk_client, "require_reregistration", admin_user, alice)
    assert Method.objects.filter(user=admin_user).exists()
    assert SecurityEvent.objects.filter(user=alice, kind="methods_reset").exists()

    act(helpdesk_client, "unlock", admin_user)
    assert Lockout.objects.filter(user=admin_user).exists()
    assert not SecurityEvent.objects.filter(user=admin_user).exists()


def test_helpdesk_staff_cannot_give_an_admin_a_temporary_password(helpdesk_client, admin_user):
    before = admin_user.password
    confirm = f"{USERS}{admin_user.pk}/password/"
    assert helpdesk_client.get(confirm).status_code == 403
    assert helpdesk_client.post(confirm).status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.password == before
    assert not admin_user.must_change_password
    assert not SecurityEvent.objects.filter(user=admin_user).exists()


def test_helpdesk_staff_give_ordinary_users_a_temporary_password(helpdesk_client, helpdesk, alice):
    response = helpdesk_client.post(f"{USERS}{alice.pk}/password/")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.must_change_password
    event = SecurityEvent.objects.get(user=alice, kind=SecurityEvent.Kind.PASSWORD_RESET)
    assert event.actor == helpdesk


def test_helpdesk_staff_cannot_edit_an_admin_account(helpdesk_client, admin_user):
    change = f"{USERS}{admin_user.pk}/change/"
    page = helpdesk_client.get(change)
    assert page.status_code == 200  # to look at, with view permission
    assert 'name="email"' not in page.content.decode()
    helpdesk_client.post(change, {"email": "attacker@example.com"})
    admin_user.refresh_from_db()
    assert admin_user.email == "admin@northwind.example"
    assert (
        helpdesk_client.post(f"{USERS}{admin_user.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_only_a_superuser_grants_roles(helpdesk_client, helpdesk, alice):
    """Staff who may change users cannot make themselves (or anyone) superuser."""
    page = helpdesk_client.get(f"{USERS}{helpdesk.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page
    data = {
        "email": alice.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "must_change_password": "",
        "preferred_language": "",
        "time_zone": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "security_methods-TOTAL_FORMS": "0",
        "security_methods-INITIAL_FORMS": "0",
    }
    helpdesk_client.post(f"{USERS}{alice.pk}/change/", data)
    alice.refresh_from_db()
    assert not alice.is_superuser
    assert not alice.is_staff


def test_unlocking_is_logged_with_the_actor_and_told_to_the_user(
    admin_client, admin_user, alice, django_capture_on_commit_callbacks
):
    Lockout.objects.create(user=alice, familiar=False, failures=0, locked_until="2099-01-01T00:00Z")
    SecondFactorFailures.objects.create(user=alice, failures=100, locked_at="2026-01-01T00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "unlock", alice)
    assert not Lockout.objects.filter(user=alice).exists()
    assert not SecondFactorFailures.objects.filter(user=alice).exists()
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.actor) == (SecurityEvent.Kind.ACCOUNT_UNLOCKED, admin_user)
    assert [m.to for m in mail.outbox] == [[alice.email]]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


# One text message cannot reset an admin ------------------------------------------------------


def _code() -> str:
    return "".join(re.findall(r"\d", recent_outbox()[0]["body"]))


def test_an_admin_reset_needs_two_gates_even_under_a_one_gate_policy(client, admin_user, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, reset_gates=1)
    add_phone(admin_user, MOBILE)
    _app, generator = add_authenticator(admin_user)
    client.post("/password/reset/", {"email": admin_user.email})
    assert "Verification step 1 of 1" in client.get("/password/reset/verify/").content.decode()
    client.post("/password/reset/verify/", {"option": "mobile_text"})
    # One code is not enough: the second gate follows.
    assert client.post("/password/reset/code/", {"code": _code()}).url == "/password/reset/verify/"
    assert client.get("/password/reset/new/").url == "/password/reset/verify/"
    client.post("/password/reset/verify/", {"option": "authenticator"})
    assert client.post("/password/reset/code/", {"code": generator.now()}).url == (
        "/password/reset/new/"
    )


def test_an_admin_cannot_pass_both_gates_with_one_phone(client, admin_user, northwind):
    """The mobile and the office phone are the same number: the second call sends nothing."""
    AuthenticationPolicy.objects.create(organization=northwind, reset_gates=1)
    add_phone(admin_user, MOBILE)
    add_phone(admin_user, MOBILE, kind=Method.Kind.OFFICE_PHONE)
    client.post("/password/reset/", {"email": admin_user.email})
    client.post("/password/reset/verify/", {"option": "mobile_text"})
    client.post("/password/reset/code/", {"code": _code()})
    sent = len(recent_outbox())
    client.post("/password/reset/verify/", {"option": "office_call"})
    assert len(recent_outbox()) == sent  # nothing went to the same number again
    refused = client.post("/password/reset/code/", {"code": "123456"})
    assert "That code is not right" in refused.content.decode()
    assert client.get("/password/reset/new/").url == "/password/reset/verify/"


def test_an_ordinary_user_still_resets_with_one_gate(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, reset_gates=1)
    add_phone(alice, MOBILE)
    client.post("/password/reset/", {"email": alice.email})
    client.post("/password/reset/verify/", {"option": "mobile_text"})
    assert client.post("/password/reset/code/", {"code": _code()}).url == "/password/reset/new/"


def test_the_admins_own_password_change_goes_through_the_password_page(admin_client, admin_user):
    """Django's admin form would skip the history, the event and the email."""
    for url in ("/admin/password_change/", "/admin/password_change/done/"):
        response = admin_client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/password/")
    refused = admin_client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": "x" * 20, "new_password2": "x" * 20},
    )
    assert refused["Location"] == "/password/"
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)
