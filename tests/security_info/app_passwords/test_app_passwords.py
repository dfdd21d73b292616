"""App passwords: creating one (shown once), deleting one, and the API they unlock."""

import base64
import re
import time

import pytest
from django.core import mail

from organizations.models import AuthenticationPolicy
from portal import crypto
from security_info.app_passwords.passwords import generate, normalize
from security_info.models import AppPassword
from security_info.password import passwords
from signins.models import SecurityEvent, SignInEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, make_app_password, mark_strong_sign_in

ADD_URL = "/security-info/app-passwords/add/"
CREATED_URL = "/security-info/app-passwords/created/"
API_URL = "/api/me"
PASSWORD_PATTERN = re.compile(r"\b[a-z]{4}-[a-z]{4}-[a-z]{4}-[a-z]{4}\b")


@pytest.fixture(autouse=True)
def app_passwords_allowed(northwind, alice):
    add_authenticator(alice)  # app passwords are for accounts with a second factor
    return AuthenticationPolicy.objects.create(organization=northwind, allow_app_passwords=True)


def delete_url(app_password) -> str:
    return f"/security-info/app-passwords/{app_password.pk}/delete/"


def create(client, name="Laptop mail") -> str:
    """Create an app password through the pages; return the password shown."""
    assert client.post(ADD_URL, {"name": name}).url == CREATED_URL
    return PASSWORD_PATTERN.search(client.get(CREATED_URL).content.decode())[0]


def basic(email: str, password: str) -> dict:
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# Creating and deleting


def test_it_creates_one_and_shows_it_once(sudo_client, alice, django_capture_on_commit_callbacks):
    assert sudo_client.get(ADD_URL).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(ADD_URL, {"name": "  Laptop   mail "})
    assert response.url == CREATED_URL
    response = sudo_client.get(CREATED_URL)
    html = response.content.decode()
    password = PASSWORD_PATTERN.search(html)[0]
    assert "You won't be able to see it again" in html
    assert 'data-copy="app-password"' in html
    assert "security_info/copy.js" in html
    assert "http://testserver/api/me" in html
    assert "no-store" in response["Cache-Control"]

    app_password = AppPassword.objects.get(user=alice)
    assert app_password.name == "Laptop mail"
    assert password not in app_password.digest
    assert normalize(password) not in app_password.digest
    assert password not in str(dict(sudo_client.session))  # only encrypted while it waited
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.detail) == (
        SecurityEvent.Kind.METHOD_ADDED,
        "App password: Laptop mail",
    )
    assert mail.outbox[-1].to == ["alice@northwind.example"]

    # Reloading or coming back does not show it again.
    second = sudo_client.get(CREATED_URL)
    assert second.url == "/security-info/"
    assert password not in sudo_client.get("/security-info/").content.decode()


def test_passwords_are_16_random_letters_in_groups_of_four():
    passwords = {generate() for _ in range(50)}
    assert len(passwords) == 50
    assert all(PASSWORD_PATTERN.fullmatch(p) for p in passwords)


def test_a_blank_name_is_refused(sudo_client):
    response = sudo_client.post(ADD_URL, {"name": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Give the app password a name."]
    assert not AppPassword.objects.exists()


def test_forty_is_the_most(sudo_client, alice):
    for n in range(40):
        make_app_password(alice, f"App {n}")
    message = "You have 40 app passwords, the most you can have. Delete one first."
    response = sudo_client.get(ADD_URL, follow=True)
    assert message in response.content.decode()
    response = sudo_client.post(ADD_URL, {"name": "One more"}, follow=True)
    assert message in response.content.decode()
    assert AppPassword.objects.filter(user=alice).count() == 40
    html = sudo_client.get("/security-info/").content.decode()
    assert "Already set up: App password." in html
    assert ADD_URL not in html


def test_the_page_lists_them_with_delete(sudo_client, alice):
    app_password = make_app_password(alice, "Old phone")
    html = sudo_client.get("/security-info/").content.decode()
    assert "Old phone" in html
    assert delete_url(app_password) in html
    assert ADD_URL in html


def test_when_the_policy_is_off_there_is_no_add_but_existing_ones_stay(
    sudo_client, alice, app_passwords_allowed
):
    app_password = make_app_password(alice, "Old phone")
    app_passwords_allowed.allow_app_passwords = False
    app_passwords_allowed.save()
    html = sudo_client.get("/security-info/").content.decode()
    assert ADD_URL not in html
    assert "Old phone" in html
    assert delete_url(app_password) in html
    response = sudo_client.post(ADD_URL, {"name": "New"}, follow=True)
    assert "Your organization does not allow this method." in response.content.decode()
    assert AppPassword.objects.filter(user=alice).count() == 1


def test_app_passwords_are_off_by_default(sudo_client, app_passwords_allowed):
    app_passwords_allowed.delete()
    assert sudo_client.get(ADD_URL).url == "/security-info/"


def test_delete_confirms_then_deletes(sudo_client, alice, django_capture_on_commit_callbacks):
    keep, app_password = make_app_password(alice, "Keep"), make_app_password(alice, "Old phone")
    response = sudo_client.get(delete_url(app_password))
    assert "Old phone" in response.content.decode()
    assert AppPassword.objects.filter(pk=app_password.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(delete_url(app_password))
    assert response.url == "/security-info/"
    assert list(AppPassword.objects.filter(user=alice)) == [keep]
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.detail) == (
        SecurityEvent.Kind.METHOD_DELETED,
        "App password: Old phone",
    )
    assert mail.outbox[-1].to == ["alice@northwind.example"]


@pytest.mark.parametrize("owner", ["bob", "charlie"])
def test_someone_elses_app_password_is_not_found(sudo_client, owner, request):
    app_password = make_app_password(request.getfixturevalue(owner))
    assert sudo_client.get(delete_url(app_password)).status_code == 404
    assert sudo_client.post(delete_url(app_password)).status_code == 404
    assert AppPassword.objects.filter(pk=app_password.pk).exists()
    assert sudo_client.get("/security-info/app-passwords/nope/delete/").status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ADD_URL),
        ("post", ADD_URL),
        ("get", CREATED_URL),
        ("get", "delete"),
        ("post", "delete"),
    ],
)
def test_every_page_asks_to_verify_again_when_the_sign_in_is_old(client, alice, method, url):
    app_password = make_app_password(alice)
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    url = delete_url(app_password) if url == "delete" else url
    response = getattr(client, method)(url, {"name": "New"} if method == "post" else None)
    assert response.url.startswith("/security-info/verify/?next=")
    assert list(AppPassword.objects.all()) == [app_password]


def test_the_password_waits_for_a_stale_sign_in_to_be_verified(client, alice):
    """A sudo redirect between creating and showing must not lose the password."""
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    client.post(ADD_URL, {"name": "Laptop"})
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    assert client.get(CREATED_URL).url.startswith("/security-info/verify/")
    mark_strong_sign_in(client, alice)
    assert PASSWORD_PATTERN.search(client.get(CREATED_URL).content.decode())


# The API


def test_the_api_answers_with_the_profile_for_the_right_app_password(
    sudo_client, client, alice, northwind
):
    password = create(sudo_client)
    sudo_client.logout()
    response = client.get(API_URL, **basic("alice@northwind.example", password))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "email": "alice@northwind.example",
        "display_name": "Alice Archer",
        "given_name": "Alice",
        "surname": "Archer",
        "job_title": "Engineer",
        "department": "Research",
        "office_location": "Building 1",
        "business_phone": "+1 425 555 0100",
        "mobile_phone": "",
        "preferred_language": "",
        "time_zone": "",
        "home_organization": "Northwind Traders",
    }
    app_password = AppPassword.objects.get(user=alice)
    assert app_password.last_used_at is not None
    event = SignInEvent.objects.get(user=alice)
    assert (event.result, event.app, event.method) == ("success", "api", "app_password")


def test_a_password_made_before_a_key_rotation_works_and_takes_the_new_key(
    sudo_client, client, alice, settings
):
    password = create(sudo_client)
    sudo_client.logout()
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [settings.FIELD_ENCRYPTION_KEY]
    settings.FIELD_ENCRYPTION_KEY = "the-new-field-key-9876543210zyxwvutsrq"

    assert client.get(API_URL, **basic("alice@northwind.example", password)).status_code == 200

    digest = AppPassword.objects.get(user=alice).digest
    assert digest == crypto.digest(normalize(password), "app_password")
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = []  # the old key gone: the password still works
    assert client.get(API_URL, **basic("alice@northwind.example", password)).status_code == 200


@pytest.mark.parametrize(
    "typed",
    [
        lambda p: p.replace("-", ""),
        lambda p: p.upper(),
        lambda p: p.replace("-", " "),
    ],
)
def test_dashes_spaces_and_capitals_do_not_matter(sudo_client, client, typed):
    password = create(sudo_client)
    response = client.get(API_URL, **basic("Alice@Northwind.example", typed(password)))
    assert response.status_code == 200


def test_a_password_of_another_account_is_refused(sudo_client, client, alice, bob):
    password = create(sudo_client)
    response = client.get(API_URL, **basic("bob@northwind.example", password))
    assert response.status_code == 401
    event = SignInEvent.objects.get()
    assert (event.user, event.result, event.reason, event.app) == (
        bob,
        "failure",
        "wrong_password",
        "api",
    )


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("alice@northwind.example", "abcd-efgh-ijkl-mnop", "wrong_password"),
        ("alice@northwind.example", PASSWORD, "wrong_password"),  # the account password
        ("nobody@northwind.example", "abcd-efgh-ijkl-mnop", "unknown_account"),
    ],
)
def test_wrong_credentials_get_401_and_are_logged(sudo_client, client, email, password, reason):
    create(sudo_client)
    response = client.get(API_URL, **basic(email, password))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="My Account", charset="UTF-8"'
    assert response["Cache-Control"] == "no-store"
    event = SignInEvent.objects.get()
    assert (event.email, event.result, event.reason, event.method) == (
        email,
        "failure",
        reason,
        "app_password",
    )
    assert AppPassword.objects.get().last_used_at is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        "Basic ",
        "Bearer abc",
        "Basic !!!not-base64!!!",
        "Basic \u00e9t\u00e9",  # a header's bytes beyond ASCII, as the server hands them over
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b":password-only").decode(),
        "Basic " + base64.b64encode(b"alice@northwind.example:").decode(),
        "Basic " + base64.b64encode(b"alice@northwind.example:\x00").decode(),
        "Basic " + base64.b64encode(b"ali\x00ce@northwind.example:abcd-efgh-ijkl-mnop").decode(),
        "Basic " + base64.b64encode(b"   :abcd-efgh-ijkl-mnop").decode(),
    ],
)
def test_a_missing_or_malformed_header_gets_401(client, alice, header):
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get(API_URL, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="My Account", charset="UTF-8"'


def test_a_session_is_not_enough(sudo_client):
    create(sudo_client)
    response = sudo_client.get(API_URL)
    assert response.status_code == 401


def test_only_get_is_allowed(sudo_client, client):
    password = create(sudo_client)
    response = client.post(API_URL, **basic("alice@northwind.example", password))
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_a_disabled_account_gets_403(sudo_client, client, alice):
    password = create(sudo_client)
    alice.is_active = False
    alice.save()
    response = client.get(API_URL, **basic("alice@northwind.example", password))
    assert response.status_code == 403
    event = SignInEvent.objects.get()
    assert (event.user, event.reason) == (alice, "inactive_account")
    # With a wrong password it says no more than for anyone else.
    assert (
        client.get(API_URL, **basic("alice@northwind.example", "abcd-efgh-ijkl-mnop")).status_code
        == 401
    )


def test_too_many_attempts_for_one_account_get_429(sudo_client, client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_app_password": "3/m/key"}
    password = create(sudo_client)
    for _ in range(3):
        assert (
            client.get(
                API_URL, **basic("alice@northwind.example", "abcd-efgh-ijkl-mnop")
            ).status_code
            == 401
        )
    response = client.get(API_URL, **basic("alice@northwind.example", password))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert SignInEvent.objects.first().reason == "rate_limited"
    # Another account from the same place is not locked out by hers.
    assert client.get(API_URL, **basic("bob@northwind.example", "x")).status_code == 401


def test_too_many_attempts_from_one_address_get_429(client, alice, bob, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_app_password": "2/m/ip"}
    client.get(API_URL, **basic("alice@northwind.example", "abcd-efgh-ijkl-mnop"))
    client.get(API_URL, **basic("bob@northwind.example", "abcd-efgh-ijkl-mnop"))
    assert client.get(API_URL, **basic("carol@northwind.example", "x")).status_code == 429


def test_existing_app_passwords_keep_working_when_the_policy_turns_off(
    sudo_client, client, app_passwords_allowed
):
    password = create(sudo_client)
    app_passwords_allowed.allow_app_passwords = False
    app_passwords_allowed.save()
    assert client.get(API_URL, **basic("alice@northwind.example", password)).status_code == 200


def test_a_deleted_app_password_stops_working(sudo_client, client):
    password = create(sudo_client)
    sudo_client.post(delete_url(AppPassword.objects.get()))
    assert client.get(API_URL, **basic("alice@northwind.example", password)).status_code == 401


def test_a_password_never_picked_up_is_not_shown_later(sudo_client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    mark_strong_sign_in(sudo_client, alice)
    sudo_client.post(ADD_URL, {"name": "Laptop"})
    time_machine.shift(11 * 60)
    mark_strong_sign_in(sudo_client, alice)
    assert sudo_client.get(CREATED_URL).url == "/security-info/"
    assert AppPassword.objects.filter(user=alice).count() == 1  # it exists; delete it to start over


# Only with a second factor, and not past a new password


def test_a_password_alone_cannot_make_an_app_password(client, bob):
    """Someone stuck at "keep your account secure" with only a password gets none."""
    client.force_login(bob)
    mark_strong_sign_in(client, bob, method="password")
    response = client.post(ADD_URL, {"name": "Mail"}, follow=True)
    assert "Add a second sign-in method first" in response.content.decode()
    assert not AppPassword.objects.filter(user=bob).exists()


def test_a_reset_ends_every_app_password(admin_client, alice):
    make_app_password(alice)
    admin_client.post(f"/admin/portal/user/{alice.pk}/password/")
    assert not AppPassword.objects.filter(user=alice).exists()
    event = SecurityEvent.objects.get(user=alice, kind=SecurityEvent.Kind.APP_PASSWORDS_REVOKED)
    assert event.detail == "1 app password deleted"


@pytest.mark.parametrize("survive", [False, True])
def test_a_change_ends_them_unless_the_policy_keeps_them(
    sudo_client, alice, app_passwords_allowed, survive
):
    app_passwords_allowed.app_passwords_survive_change = survive
    app_passwords_allowed.save()
    make_app_password(alice)
    request = sudo_client.get("/").wsgi_request
    fresh = type(alice).objects.get(pk=alice.pk)  # read the policy as it is now
    passwords.set_password(request, fresh, "a brand new passphrase 42")
    assert AppPassword.objects.filter(user=alice).exists() is survive


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
