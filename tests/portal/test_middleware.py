"""What the portal middleware does on every request."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse
from django.utils import timezone

from portal.middleware import PortalMiddleware

IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
LEGACY_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582"
)
CURRENT_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
LOCALHOST_MIDDLEWARE = "portal.middleware.LocalhostMiddleware"
OLD_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:78.0) Gecko/20100101 Firefox/78.0"


def test_a_disabled_account_is_signed_out_on_its_next_request(alice_client, alice):
    assert alice_client.get("/").status_code == 200
    alice.is_active = False
    alice.save()
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in alice_client.session
    page = alice_client.get(response["Location"])
    assert b"signed out because your account is disabled" in page.content


def test_pages_render_in_the_users_time_zone(rf, alice):
    alice.time_zone = "Asia/Tokyo"
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    request = rf.get("/")
    request.user, request.session = alice, {}
    PortalMiddleware(view)(request)
    assert seen == ["Asia/Tokyo"]
    assert timezone.get_current_timezone_name() == "UTC"  # and only for that request


def test_pages_speak_the_users_preferred_language(alice_client, alice):
    alice.preferred_language = "de"
    alice.save()
    response = alice_client.get("/")
    assert b'<html lang="de"' in response.content


def test_every_page_carries_a_csp_nonce_and_no_inline_script(alice_client):
    for url in ["/", "/accounts/logout/"]:
        response = alice_client.get(url)
        policy = response["Content-Security-Policy"]
        assert "'nonce-" in policy
        assert "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert b"<script>" not in response.content
        assert b"style=" not in response.content


def test_internet_explorer_gets_the_unsupported_page(client, db):
    for user_agent in [IE11, LEGACY_EDGE]:
        response = client.get("/accounts/login/", HTTP_USER_AGENT=user_agent)
        assert response.status_code == 200
        assert b"This browser is not supported" in response.content
        assert b"Microsoft Edge" in response.content
        assert "no-store" in response["Cache-Control"]
        assert "User-Agent" in response["Vary"]


def test_internet_explorer_cannot_post_a_sign_in_either(client, alice):
    response = client.post(
        "/accounts/login/",
        {"login": "alice@northwind.example", "password": "x"},
        HTTP_USER_AGENT=IE11,
    )
    assert b"This browser is not supported" in response.content
    assert SESSION_KEY not in client.session


def test_current_browsers_and_non_browsers_pass_untouched(client, db):
    for user_agent in [CURRENT_CHROME, "curl/8.5.0", "kube-probe/1.29", ""]:
        response = client.get("/accounts/login/", HTTP_USER_AGENT=user_agent)
        assert b"Sign in" in response.content
        assert b"not supported" not in response.content
        assert b"older version" not in response.content


def test_health_checks_pass_even_with_an_old_user_agent(client, db):
    response = client.get("/health/", HTTP_USER_AGENT=IE11)
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_an_outdated_browser_gets_a_banner_it_can_dismiss(client, db):
    page = client.get("/accounts/login/", HTTP_USER_AGENT=OLD_FIREFOX)
    assert b"You are using Firefox 78" in page.content
    response = client.post(
        "/browser-notice/dismiss/", {"next": "/accounts/login/"}, HTTP_USER_AGENT=OLD_FIREFOX
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/", HTTP_USER_AGENT=OLD_FIREFOX)
    assert b"older version" not in page.content


def test_a_dismissal_does_not_hide_the_banner_for_another_old_browser(client, db):
    client.post("/browser-notice/dismiss/", {"next": "/"}, HTTP_USER_AGENT=OLD_FIREFOX)
    old_chrome = CURRENT_CHROME.replace("131.0.0.0", "100.0.4896.60")
    page = client.get("/accounts/login/", HTTP_USER_AGENT=old_chrome)
    assert b"You are using Chrome 100" in page.content


def test_dismissing_never_redirects_off_site(client, db):
    for target in ["https://evil.example/", "//evil.example", "", "javascript:alert(1)"]:
        response = client.post(
            "/browser-notice/dismiss/", {"next": target}, HTTP_USER_AGENT=OLD_FIREFOX
        )
        assert response["Location"] == "/"


def test_dismissing_needs_a_post(client, db):
    assert client.get("/browser-notice/dismiss/").status_code == 405


def test_minimum_versions_come_from_settings(client, db, settings):
    settings.SUPPORTED_BROWSERS = {**settings.SUPPORTED_BROWSERS, "Chrome": 200}
    page = client.get("/accounts/login/", HTTP_USER_AGENT=CURRENT_CHROME)
    assert b"You are using Chrome 131" in page.content


def test_api_clients_are_never_sent_the_unsupported_page(client, db):
    response = client.get("/api/me", HTTP_USER_AGENT=IE11)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_a_pending_interrupt_does_not_hijack_the_api(alice_client):
    session = alice_client.session
    session["security_info.must_register"] = True
    session.save()
    assert alice_client.get("/")["Location"] == "/security-info/setup/"
    assert alice_client.get("/api/me").status_code == 401  # the API ignores the session


# Development: 127.0.0.1 leads to localhost ----------------------------------------------------


@pytest.fixture
def development(settings):
    """DEBUG on, as under ./dev demo (the test runner turns it off), with the middleware the
    settings list for it."""
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    if LOCALHOST_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [
            settings.MIDDLEWARE[0],
            LOCALHOST_MIDDLEWARE,
            *settings.MIDDLEWARE[1:],
        ]


@pytest.mark.parametrize(
    ("host", "target"),
    [
        ("127.0.0.1:8000", "http://localhost:8000"),
        ("127.0.0.1", "http://localhost"),
        ("[::1]:8123", "http://localhost:8123"),
    ],
)
def test_in_development_a_loopback_address_leads_to_the_same_page_on_localhost(
    client, db, development, host, target
):
    for method in (client.get, client.head):
        response = method("/accounts/login/?next=/security-info/", HTTP_HOST=host)
        assert response.status_code == 302
        assert response["Location"] == f"{target}/accounts/login/?next=/security-info/"


def test_localhost_itself_is_served(client, db, development):
    assert client.get("/accounts/login/", HTTP_HOST="localhost:8000").status_code == 200


def test_health_checks_answer_at_the_loopback_address(client, db, development):
    assert client.get("/health/", HTTP_HOST="127.0.0.1:8000").status_code == 200


def test_without_debug_nothing_is_redirected(client, db, development, settings):
    settings.DEBUG = False
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 200


# Time zones ----------------------------------------------------------------------------------


def test_someone_without_a_time_zone_sees_the_sites_default(rf, alice, settings):
    settings.TIME_ZONE = "Europe/Paris"
    alice.time_zone = ""
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    request = rf.get("/")
    request.user, request.session = alice, {}
    PortalMiddleware(view)(request)
    assert seen == ["Europe/Paris"]


def test_an_admin_sets_a_persons_time_zone_which_no_portal_page_offers_yet(
    client, alice, admin_user
):
    client.force_login(admin_user)
    assert (
        'name="time_zone"' in client.get(f"/admin/portal/user/{alice.pk}/change/").content.decode()
    )
    client.force_login(alice)
    for url in ["/", "/security-info/", "/password/"]:
        assert 'name="time_zone"' not in client.get(url, follow=True).content.decode(), url
