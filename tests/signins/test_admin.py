"""The sign-in log in the admin: what an admin scans for, in columns that fit."""

import pytest

from signins.models import SignInEvent

LOG = "/admin/signins/signinevent/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_log_shows_who_what_where_and_the_reason_for_a_failure(admin_client, alice):
    SignInEvent.objects.create(
        user=None,
        email="nobody@northwind.example",
        result=SignInEvent.Result.FAILURE,
        reason=SignInEvent.Reason.UNKNOWN_ACCOUNT,
        app=SignInEvent.App.API,
        ip="2001:db8::1",
        country="GB",
        browser="Firefox 133",
    )
    SignInEvent.objects.create(
        user=alice, email=alice.email, result=SignInEvent.Result.SUCCESS, ip="203.0.113.45"
    )
    html = admin_client.get(LOG).content.decode()
    assert "nobody@<wbr>northwind.<wbr>example" in html
    assert "Unknown account" in html
    assert "API (app password)" in html
    assert "GB 2001:<wbr>db8:<wbr>:<wbr>1" in html
    assert ">203.0.113.45<" in html
    assert "Success" in html
    assert "Firefox 133" not in html  # on the entry's own page


def test_the_log_costs_the_same_queries_for_more_rows(
    admin_client, alice, django_assert_max_num_queries
):
    for _i in range(40):
        SignInEvent.objects.create(user=alice, email=alice.email, result="success")
    with django_assert_max_num_queries(12):
        assert admin_client.get(LOG).status_code == 200


def test_people_who_are_not_staff_cannot_read_the_log(alice_client):
    assert alice_client.get(LOG)["Location"].startswith("/admin/login/")
