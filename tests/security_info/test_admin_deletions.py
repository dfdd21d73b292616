"""Every admin path that removes someone's methods does what the person's own deletion does:
an event naming the admin, an email to the person, a new default, and nothing for an admin
account unless the actor may manage those."""

import pytest
from django.core import mail
from django.forms import MultiWidget
from django.test import Client

from security_info.models import AppPassword, Method, TemporaryAccessPass
from signins.models import SecurityEvent
from tests.security.test_privileged_accounts import HELPDESK_PERMISSIONS, staff_with
from tests.security_info.conftest import (
    add_authenticator,
    add_email,
    add_passkey,
    add_phone,
    make_app_password,
)

USERS = "/admin/portal/user/"
METHODS = "/admin/security_info/method/"
APP_PASSWORDS = "/admin/security_info/apppassword/"
PASSES = "/admin/security_info/temporaryaccesspass/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def helpdesk_client(northwind):
    helpdesk = staff_with(
        *HELPDESK_PERMISSIONS, "view_apppassword", "delete_apppassword", organization=northwind
    )
    client = Client()
    client.force_login(helpdesk)
    return client


@pytest.fixture
def app_and_phone(alice):
    """Alice's authenticator app is her default; she also has a phone."""
    app, _totp = add_authenticator(alice)
    Method.objects.filter(pk=app.pk).update(is_default=True)
    return app, add_phone(alice)


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """Send what waits for the commit (the emails) as the requests in the block end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def form_data(form) -> dict:
    """What a browser would post for a bound or unbound form, as it was shown."""
    data: dict = {}
    for name in form.fields:
        field = form[name]
        value = field.value()
        if isinstance(field.field.widget, MultiWidget):
            for i, part in enumerate(field.field.widget.decompress(value) or []):
                data[f"{field.html_name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(v) for v in value]
        else:
            data[field.html_name] = "" if value is None else str(value)
    return data


def user_page_deleting(client, user, method) -> dict:
    """The user's admin page as shown, posted back with the method's "Delete" ticked."""
    page = client.get(f"{USERS}{user.pk}/change/")
    data = form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= form_data(formset.management_form)
        for form in formset.forms:
            data |= form_data(form)
            if formset.prefix == "security_methods" and form.instance.pk == method.pk:
                data[form.add_prefix("DELETE")] = "on"
    return data


def assert_deleted_by(actor, user, method) -> None:
    assert not Method.objects.filter(pk=method.pk).exists()
    event = SecurityEvent.objects.get(user=user, kind=SecurityEvent.Kind.METHOD_DELETED)
    assert event.actor == actor
    assert str(Method.Kind(method.kind).label) in event.detail
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "Sign-in method deleted" in message.subject
    assert actor.email in message.body  # "Made by an administrator: …"


# The user's page --------------------------------------------------------------------------


def test_deleting_on_the_users_page_is_logged_told_and_moves_the_default(
    admin_client, admin_user, alice, app_and_phone, told
):
    app, phone = app_and_phone
    data = user_page_deleting(admin_client, alice, app)
    with told():
        response = admin_client.post(f"{USERS}{alice.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"]
    assert_deleted_by(admin_user, alice, app)
    phone.refresh_from_db()
    assert phone.is_default


def test_an_admin_may_delete_the_last_multi_factor_method(admin_client, admin_user, alice, told):
    """Unlike its owner: a lost phone is why helpdesks are called."""
    phone = add_phone(alice, is_default=True)
    data = user_page_deleting(admin_client, alice, phone)
    with told():
        assert admin_client.post(f"{USERS}{alice.pk}/change/", data).status_code == 302
    assert_deleted_by(admin_user, alice, phone)


def test_helpdesk_staff_cannot_delete_an_admins_method_on_their_page(
    admin_client, helpdesk_client, admin_user
):
    phone = add_phone(admin_user, is_default=True)
    page = helpdesk_client.get(f"{USERS}{admin_user.pk}/change/").content.decode()
    assert "security_methods-0-DELETE" not in page
    data = user_page_deleting(admin_client, admin_user, phone)
    assert helpdesk_client.post(f"{USERS}{admin_user.pk}/change/", data).status_code == 403
    assert Method.objects.filter(pk=phone.pk).exists()
    assert not SecurityEvent.objects.exists()


# The methods list -------------------------------------------------------------------------


def test_deleting_a_method_in_its_admin_is_logged_told_and_moves_the_default(
    admin_client, admin_user, alice, app_and_phone, told
):
    app, phone = app_and_phone
    with told():
        response = admin_client.post(f"{METHODS}{app.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert_deleted_by(admin_user, alice, app)
    phone.refresh_from_db()
    assert phone.is_default


def test_deleting_methods_in_bulk_is_logged_and_told_for_each(
    admin_client, admin_user, alice, bob, app_and_phone, told
):
    app, phone = app_and_phone
    bobs = add_passkey(bob)[0]
    bobs_email = add_email(bob)
    Method.objects.filter(pk=bobs.pk).update(is_default=True)
    selected = {"action": "delete_selected", "_selected_action": [app.pk, bobs.pk], "post": "yes"}
    with told():
        response = admin_client.post(METHODS, selected)
    assert response.status_code == 302
    assert set(Method.objects.values_list("pk", flat=True)) == {phone.pk, bobs_email.pk}
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.METHOD_DELETED)
    assert {(e.user, e.actor) for e in events} == {(alice, admin_user), (bob, admin_user)}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    phone.refresh_from_db()
    assert phone.is_default


def test_helpdesk_staff_delete_ordinary_users_methods_but_not_an_admins_in_bulk(
    helpdesk_client, admin_user, alice, told
):
    alices = add_phone(alice, is_default=True)
    admins = add_phone(admin_user, is_default=True)
    refused = helpdesk_client.post(
        METHODS,
        {"action": "delete_selected", "_selected_action": [alices.pk, admins.pk], "post": "yes"},
    )
    assert refused.status_code == 403
    assert Method.objects.count() == 2
    with told():
        response = helpdesk_client.post(f"{METHODS}{alices.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Method.objects.filter(pk=alices.pk).exists()
    assert [m.to for m in mail.outbox] == [[alice.email]]


# App passwords, passes, re-registration -----------------------------------------------------


def test_deleting_an_app_password_tells_its_owner(admin_client, admin_user, alice, told):
    one, two = make_app_password(alice, "Mail"), make_app_password(alice, "Calendar")
    with told():
        admin_client.post(f"{APP_PASSWORDS}{one.pk}/delete/", {"post": "yes"})
    with told():
        admin_client.post(
            APP_PASSWORDS,
            {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"},
        )
    assert not AppPassword.objects.exists()
    events = SecurityEvent.objects.filter(user=alice, kind=SecurityEvent.Kind.METHOD_DELETED)
    assert sorted(e.detail for e in events) == ["App password: Calendar", "App password: Mail"]
    assert {e.actor for e in events} == {admin_user}
    assert [m.to for m in mail.outbox] == [[alice.email], [alice.email]]


def test_helpdesk_staff_cannot_delete_an_admins_app_password(helpdesk_client, admin_user):
    app_password = make_app_password(admin_user)
    response = helpdesk_client.post(f"{APP_PASSWORDS}{app_password.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AppPassword.objects.exists()


def test_deleting_a_pass_tells_its_holder(admin_client, admin_user, alice, told):
    issued = TemporaryAccessPass.objects.create(
        user=alice, digest="0" * 64, expires_at="2099-01-01T00:00Z"
    )
    with told():
        admin_client.post(f"{PASSES}{issued.pk}/delete/", {"post": "yes"})
    assert not TemporaryAccessPass.objects.exists()
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.actor) == (SecurityEvent.Kind.METHOD_DELETED, admin_user)
    assert [m.to for m in mail.outbox] == [[alice.email]]


def test_re_registration_is_told_and_leaves_a_default(admin_client, admin_user, alice, told):
    add_phone(alice, is_default=True)
    key, _soft = add_passkey(alice)
    with told():
        admin_client.post(
            USERS, {"action": "require_reregistration", "_selected_action": [alice.pk]}
        )
    assert list(Method.objects.filter(user=alice)) == [key]
    key.refresh_from_db()
    assert key.is_default
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.actor) == (SecurityEvent.Kind.METHODS_RESET, admin_user)
    assert [m.to for m in mail.outbox] == [[alice.email]]
