"""The bare authenticated page: the floor every page's cost is measured against.

A tiny template with the signed-in user's address, reached through Django's session and
authentication middleware and nothing else: what any signed-in page of any Django site pays
at least. Beside it, the bare sign-in: Django's own login() after ModelBackend's password
check, with no form, limits or log, through the same middleware: what any sign-in of any
Django site pays at least. The project never routes here; only the benchmark's handlers do, in-process (a test
client) and under gunicorn (tests/benchmarks/serve_wsgi.py), for whichever settings are loaded
(the portal's, or the allauth anchor project's).

This module is also the URLconf the bare handlers resolve against.
"""

from functools import cache

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.template import Context, Engine
from django.test import Client
from django.test.client import ClientHandler
from django.urls import path

BARE_PATH = "/bench/bare/"
BARE_SIGN_IN_PATH = "/bench/sign-in/"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
BARE_MIDDLEWARE = [
    "tests.benchmarks.bare.BareURLconfMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATE = "<!doctype html><title>Bare</title><p>Signed in as {{ user.email }}</p>\n"


@cache
def bare_template():
    """Compile the page's template once, outside the project's template dirs and context
    processors."""
    return Engine.get_default().from_string(TEMPLATE)


def bare_page(request: HttpRequest) -> HttpResponse:
    """Render the signed-in user's address; refuse anyone else (a lost session is a failure)."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden("not signed in")
    return HttpResponse(bare_template().render(Context({"user": request.user})))


def bare_sign_in(request: HttpRequest) -> HttpResponse:
    """Check the posted address and password with ModelBackend, and sign in with login()."""
    # Imported here: this module loads before Django is set up, and these need the models.
    from django.contrib.auth import login  # noqa: PLC0415
    from django.contrib.auth.backends import ModelBackend  # noqa: PLC0415

    user = ModelBackend().authenticate(
        request, username=request.POST.get("login"), password=request.POST.get("password")
    )
    if user is None:
        return HttpResponseForbidden("wrong address or password")
    login(request, user, backend=MODEL_BACKEND)
    return HttpResponseRedirect(BARE_PATH)


urlpatterns = [
    path(BARE_PATH.strip("/") + "/", bare_page),
    path(BARE_SIGN_IN_PATH.strip("/") + "/", bare_sign_in),
]


class BareURLconfMiddleware:
    """Resolve the request against this module, whatever ROOT_URLCONF says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.urlconf = __name__
        return self.get_response(request)


class BareMiddlewareMixin:
    """Build the handler's middleware chain from `chain()` (BARE_MIDDLEWARE) instead of
    MIDDLEWARE."""

    def chain(self) -> list[str]:
        return BARE_MIDDLEWARE

    def load_middleware(self, is_async: bool = False) -> None:
        configured = settings.MIDDLEWARE
        settings.MIDDLEWARE = self.chain()
        try:
            super().load_middleware(is_async)  # type: ignore[misc]
        finally:
            settings.MIDDLEWARE = configured


class BareClientHandler(BareMiddlewareMixin, ClientHandler):
    """The test client's handler, through the bare middleware only."""


class BareWSGIHandler(BareMiddlewareMixin, WSGIHandler):
    """A WSGI application through the bare middleware only."""


class StackClientHandler(BareMiddlewareMixin, ClientHandler):
    """The test client's handler to the bare page through the project's whole middleware:
    what a page costs before its view does anything."""

    def chain(self) -> list[str]:
        return [BARE_MIDDLEWARE[0], *settings.MIDDLEWARE]


def bare_client(signed_in: Client, handler: type[ClientHandler] = BareClientHandler) -> Client:
    """Return a test client for the bare page that shares `signed_in`'s cookies (its session)."""
    client = Client(**signed_in.defaults)  # the same browser and address
    client.handler = handler(enforce_csrf_checks=False)
    client.cookies = signed_in.cookies
    return client
