"""Pages shown to a signed-in person stay out of every cache (portal.middleware)."""

import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLResolver, get_resolver, path

from security_info.models import AppPassword, Method
from tests.security_info.conftest import add_passkey, add_phone, mark_strong_sign_in

CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def failing_view(request):
    raise RuntimeError("a bug")


# The project's pages and one that fails, for the server error page.
urlpatterns = [*get_resolver("myaccount.urls").url_patterns, path("fails/", failing_view)]


def every_route(patterns=None, prefix: str = ""):
    """Yield (url name, route) for every URL pattern of the project, its includes' too."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from every_route(entry.url_patterns, route)
        else:
            yield entry.name, route


def concrete(route: str, values: dict[str, str]) -> str:
    """Fill a route's parameters ("<str:pk>", the admin's "(?P<app_label>…)") with values."""
    path = "/" + REGEX_GROUP.sub(r"<\1>", route).replace("^", "").replace("$", "")
    return CONVERTER.sub(lambda match: values.get(match[1], "1"), path)


@pytest.fixture
def alices_objects(alice):
    """Real objects for the routes that take one, so their pages open rather than 404."""
    phone = add_phone(alice, "+447400123456")
    email = Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email="a@example.com")
    passkey, _key = add_passkey(alice)
    app_password = AppPassword.objects.create(user=alice, name="Mail", digest="d" * 64)
    return {
        "delete": phone.pk,
        "change_mobile_phone": phone.pk,
        "change_email": email.pk,
        "rename_passkey": passkey.pk,
        "delete_app_password": app_password.pk,
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    mark_strong_sign_in(client, user)  # in sudo mode: the security info pages open
    return client


def test_every_page_a_signed_in_person_opens_is_never_stored(alice, alices_objects, admin_user):
    missing = []
    for user in (alice, admin_user):
        client = signed_in(user)
        for name, route in every_route():
            url = concrete(route, {"pk": str(alices_objects.get(name, 1)), "app_label": "portal"})
            response = client.get(url)
            if "no-store" not in response.get("Cache-Control", ""):
                missing.append((user.email, url, response.status_code))
    assert missing == []


@pytest.mark.parametrize(
    "url",
    [
        "/",  # a page
        "/security-info",  # a redirect, to add the slash
        "/security-info/methods/1/delete/",  # GET is not allowed there
        "/no-such-page/",  # an error page
        "/accounts/login/",  # a page for signing in, which sends the signed-in home
    ],
)
def test_pages_redirects_and_errors_are_private(alice_client, url):
    cache_control = alice_client.get(url)["Cache-Control"]
    assert "no-store" in cache_control
    assert "private" in cache_control


@pytest.mark.urls(__name__)
def test_the_server_error_page_is_private_too(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/fails/")
    assert response.status_code == 500
    assert "no-store" in response["Cache-Control"]


def test_a_response_that_says_how_to_cache_it_keeps_its_word(
    alice_client, alice, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    alice.photo.save("alice.gif", ContentFile(b"GIF89a"))
    assert alice_client.get("/me/photo/")["Cache-Control"] == "private, max-age=300"


def test_anonymous_pages_keep_their_caching(client, db):
    response = client.get("/security-info/")  # to the sign-in page
    assert response.status_code == 302
    assert "Cache-Control" not in response


def test_static_files_keep_their_caching(alice_client, settings, tmp_path):
    # Served as in production: WhiteNoise right after SecurityMiddleware.
    security, *rest = settings.MIDDLEWARE
    settings.MIDDLEWARE = [security, "whitenoise.middleware.WhiteNoiseMiddleware", *rest]
    settings.STATIC_ROOT, settings.WHITENOISE_USE_FINDERS = tmp_path, True
    response = alice_client.get("/static/portal/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
