"""The Django admin: users, organizations, memberships and the read-only sign-in log."""

import pytest

from signins.models import SignInEvent
from tests.factories import make_organization


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/portal/user/",
        "/admin/portal/user/add/",
        "/admin/organizations/organization/",
        "/admin/organizations/organization/add/",
        "/admin/organizations/membership/",
        "/admin/signins/signinevent/",
    ],
)
def test_admin_pages_open(admin_client, alice, url):
    assert admin_client.get(url).status_code == 200


def test_users_are_found_by_name_and_email(admin_client, alice, bob):
    html = admin_client.get("/admin/portal/user/", {"q": "archer"}).content.decode()
    assert "alice@northwind.example" in html
    assert "bob@northwind.example" not in html


def test_users_filter_by_organization_and_status(admin_client, alice, bob, charlie, northwind):
    html = admin_client.get(
        "/admin/portal/user/", {"memberships__organization__id__exact": northwind.pk}
    ).content.decode()
    assert "alice@northwind.example" in html
    assert "charlie@tailspin.example" not in html
    bob.is_active = False
    bob.save()
    html = admin_client.get("/admin/portal/user/", {"is_active__exact": "0"}).content.decode()
    assert "bob@northwind.example" in html
    assert "alice@northwind.example" not in html


def test_the_user_page_edits_directory_attributes(admin_client, alice):
    html = admin_client.get(f"/admin/portal/user/{alice.pk}/change/").content.decode()
    assert "Directory attributes" in html
    assert 'name="job_title"' in html


def test_an_admin_creates_an_account_that_can_sign_in(admin_client, client):
    response = admin_client.post(
        "/admin/portal/user/add/",
        {
            "email": "New.Hire@Northwind.example",
            "usable_password": "true",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "security_methods-TOTAL_FORMS": "0",
            "security_methods-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    signed_in = client.post(
        "/accounts/login/",
        {"login": "new.hire@northwind.example", "password": "a long and unusual passphrase"},
    )
    assert signed_in["Location"] == "/"


def test_a_second_home_organization_is_refused(admin_client, alice):
    other = make_organization(name="Other")
    response = admin_client.post(
        "/admin/organizations/membership/add/",
        {
            "user": alice.pk,
            "organization": other.pk,
            "kind": "home",
            "joined_at_0": "2026-01-01",
            "joined_at_1": "10:00",
        },
    )
    assert response.status_code == 200
    assert "at most one home organization" in response.content.decode()


def test_sign_in_events_are_read_only(admin_client, alice):
    event = SignInEvent.objects.create(user=alice, result=SignInEvent.Result.SUCCESS)
    assert admin_client.get("/admin/signins/signinevent/add/").status_code == 403
    response = admin_client.post(
        f"/admin/signins/signinevent/{event.pk}/change/", {"result": "failure"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.result == SignInEvent.Result.SUCCESS
    assert admin_client.get(f"/admin/signins/signinevent/{event.pk}/delete/").status_code == 403


def test_sign_in_events_filter_by_result(admin_client, alice):
    SignInEvent.objects.create(
        user=alice, result=SignInEvent.Result.FAILURE, reason="wrong_password"
    )
    SignInEvent.objects.create(
        email="ghost@example.com", result=SignInEvent.Result.FAILURE, reason="unknown_account"
    )
    response = admin_client.get("/admin/signins/signinevent/", {"reason__exact": "unknown_account"})
    assert [event.email for event in response.context["cl"].result_list] == ["ghost@example.com"]
    assert "ghost@<wbr>example.<wbr>com" in response.content.decode()


def test_people_who_are_not_staff_cannot_open_the_admin(alice_client):
    response = alice_client.get("/admin/portal/user/", follow=True)
    assert response.status_code == 403
    assert b"alice@northwind.example" not in response.content
