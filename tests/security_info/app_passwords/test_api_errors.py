"""The API answers JSON for every error under /api/, with the status that fits."""

import pytest
from django.test import Client

from tests.security_info.app_passwords.test_app_passwords import API_URL, basic


def assert_json_error(response, status: int, error: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    assert body["message"]
    return body


def test_post_to_me_is_a_json_405_not_a_csrf_page(alice):
    """A browser's session cookie and no token: CSRF does not apply, the method does."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post(API_URL, **basic("alice@northwind.example", "abcd-efgh-ijkl-mnop"))
    body = assert_json_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"
    assert "GET" in body["message"]


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_every_other_method_is_a_json_405(client, method):
    assert_json_error(getattr(client, method)(API_URL), 405, "method_not_allowed")


@pytest.mark.parametrize("address", ["/api/", "/api/nothing-here", "/api/me/extra"])
def test_an_unknown_api_address_is_a_json_404(client, alice, address):
    assert_json_error(client.get(address), 404, "not_found")
    client.force_login(alice)
    assert_json_error(client.get(address), 404, "not_found")


def test_a_portal_page_that_is_not_there_is_still_a_page(alice_client):
    response = alice_client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_bad_host_is_a_json_400(client):
    response = client.get(API_URL, HTTP_HOST="attacker.example")
    assert_json_error(response, 400, "bad_request")


def test_too_many_attempts_are_a_json_429(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "check_app_password": "1/m/key"}
    client.get(API_URL, **basic("alice@northwind.example", "abcd-efgh-ijkl-mnop"))
    response = client.get(API_URL, **basic("alice@northwind.example", "abcd-efgh-ijkl-mnop"))
    body = assert_json_error(response, 429, "rate_limited")
    assert body["retry_after"] == 60


@pytest.mark.urls("tests.security_info.app_passwords.api_error_urls")
def test_a_bug_in_the_api_is_a_json_500(client):
    client.raise_request_exception = False
    body = assert_json_error(client.get("/api/boom"), 500, "server_error")
    assert "a bug" not in body["message"]


@pytest.mark.urls("tests.security_info.app_passwords.api_error_urls")
def test_a_refusal_in_the_api_is_a_json_403(client):
    assert_json_error(client.get("/api/forbidden"), 403, "forbidden")


@pytest.mark.urls("tests.security_info.app_passwords.api_error_urls")
def test_an_api_view_that_uses_the_session_gets_a_json_csrf_403(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    body = assert_json_error(browser.post("/api/cookie-form"), 403, "csrf_failed")
    assert "app password" in body["message"]


def test_a_portal_form_without_its_token_still_says_the_page_expired(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post("/security-info/default/")
    assert response.status_code == 403
    assert "This page expired" in response.content.decode()
