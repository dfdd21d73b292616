"""An expired or temporary password is replaced right after signing in, before anything else."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from organizations.models import AuthenticationPolicy, PasswordPolicy
from portal import crypto
from security_info.models import TemporaryAccessPass
from security_info.password.apps import MUST_CHANGE_PASSWORD_SESSION_KEY
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator

URL = "/password/"
NEW = "Blue-Kettle-Sings-42"


def sign_in(client, password=PASSWORD):
    response = client.post(
        "/accounts/login/", {"login": "alice@northwind.example", "password": password}
    )
    assert response.status_code == 302
    return response


def change(client, new=NEW):
    return client.post(URL, {"new_password1": new, "new_password2": new})


@pytest.fixture
def expiring(northwind, alice):
    """Passwords last 30 days in Northwind, and Alice's is 31 days old; no MFA required."""
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    PasswordPolicy.objects.create(organization=northwind, expiry_days=30)
    alice.password_changed_at = timezone.now() - timedelta(days=31)
    alice.save()
    return alice


def test_an_expired_password_must_be_changed_before_anything_else(client, expiring):
    sign_in(client)
    for page in ["/", "/security-info/", "/security-info/authenticator/add/", "/admin/"]:
        assert client.get(page)["Location"] == URL, page
    response = client.get(URL)
    html = response.content.decode()
    assert "Update your password" in html
    assert "Your password has expired." in html
    assert "current_password" not in response.context["form"].fields


def test_after_the_change_the_user_carries_on(client, expiring):
    sign_in(client)
    response = change(client)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert MUST_CHANGE_PASSWORD_SESSION_KEY not in client.session
    expiring.refresh_from_db()
    assert expiring.check_password(NEW)
    assert not expiring.password_changed_at < timezone.now() - timedelta(minutes=1)


def test_the_new_password_still_follows_the_rules(client, expiring):
    sign_in(client)
    response = change(client, new=PASSWORD)
    assert response.context["form"].errors["new_password1"] == [
        "You used this password before. Choose one you have not used."
    ]
    assert client.get("/")["Location"] == URL


def test_signing_out_stays_possible(client, expiring):
    sign_in(client)
    assert client.post("/accounts/logout/").status_code == 302
    assert SESSION_KEY not in client.session


def test_the_strength_check_stays_available(client, expiring):
    sign_in(client)
    response = client.post(
        "/password/strength/", {"password": "x"}, content_type="application/json"
    )
    assert response.status_code == 200


def test_a_password_within_its_lifetime_is_left_alone(client, expiring):
    expiring.password_changed_at = timezone.now() - timedelta(days=29)
    expiring.save()
    sign_in(client)
    assert client.get("/").status_code == 200


def test_passwords_never_expire_when_the_policy_says_zero(client, expiring, northwind):
    PasswordPolicy.objects.filter(organization=northwind).update(expiry_days=0)
    sign_in(client)
    assert client.get("/").status_code == 200


def test_a_temporary_password_from_an_admin_must_be_changed(client, alice, northwind):
    AuthenticationPolicy.objects.create(
        organization=northwind, mfa_required=False, reset_registration_required=False
    )
    alice.must_change_password = True
    alice.save()
    sign_in(client)
    assert client.get("/")["Location"] == URL
    body = client.get(URL).content.decode()
    assert "Your administrator gave you a temporary password." in body
    # The same strength meter as anywhere: the temporary password is checked on submit.
    assert 'data-url="/password/strength/"' in body
    assert "data-current" not in body
    change(client)
    assert client.get("/").status_code == 200
    alice.refresh_from_db()
    assert not alice.must_change_password


def test_the_interrupt_comes_after_the_second_factor(client, alice, northwind):
    PasswordPolicy.objects.create(organization=northwind, expiry_days=30)
    alice.password_changed_at = timezone.now() - timedelta(days=31)
    alice.save()
    _method, app = add_authenticator(alice)
    assert sign_in(client)["Location"] == "/accounts/verify/"
    assert MUST_CHANGE_PASSWORD_SESSION_KEY not in client.session
    assert client.post("/accounts/verify/", {"code": app.now()}).status_code == 302
    assert client.get("/")["Location"] == URL
    assert "current_password" not in client.get(URL).context["form"].fields


def test_it_comes_before_registering_a_method(client, expiring, northwind):
    AuthenticationPolicy.objects.filter(organization=northwind).update(mfa_required=True)
    sign_in(client)
    assert client.get("/")["Location"] == URL
    change(client)
    assert client.get("/")["Location"] == "/security-info/setup/"


def test_a_sign_in_with_a_temporary_access_pass_is_not_interrupted(client, expiring):
    # The pass proves who holds it, not that they know the old password to replace.
    TemporaryAccessPass.objects.create(
        user=expiring,
        digest=crypto.digest("abcdefghjkmn", "temporary_pass"),
        expires_at=timezone.now() + timedelta(hours=1),
        one_time=False,
    )
    client.post("/accounts/temporary-pass/", {"email": expiring.email, "code": "abcdefghjkmn"})
    assert client.get("/").status_code == 200


# Per user: "password never expires"


def test_an_account_whose_password_never_expires_signs_in_straight(client, expiring):
    expiring.password_never_expires = True
    expiring.save()
    sign_in(client)
    assert client.get("/").status_code == 200
    assert MUST_CHANGE_PASSWORD_SESSION_KEY not in client.session


def test_the_admin_sets_never_expires_on_the_user_page(admin_client, expiring):
    page = f"/admin/portal/user/{expiring.pk}/change/"
    html = admin_client.get(page).content.decode()
    assert 'name="password_never_expires"' in html
    assert "password expiry does not apply to this account" in html
    fields = {"email": expiring.email, "is_active": "on", "password_never_expires": "on"}
    fields |= {"security_methods-TOTAL_FORMS": "0", "security_methods-INITIAL_FORMS": "0"}
    fields |= {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}
    response = admin_client.post(page, fields)
    assert response.status_code == 302, response.context["adminform"].form.errors
    expiring.refresh_from_db()
    assert expiring.password_never_expires


def test_never_expires_does_not_skip_an_admins_temporary_password(client, expiring):
    """A temporary password is replaced anyway: it was meant only to get in once."""
    expiring.password_never_expires = True
    expiring.must_change_password = True
    expiring.save()
    sign_in(client)
    assert client.get("/")["Location"] == URL
