"""The bare authenticated page: the floor every page's cost is measured against.

A tiny template with the signed-in user's address, reached through Django's session and
authentication middleware and nothing else: what any signed-in page of any Django site pays
at least. The project never routes here; only the benchmark's handlers do, in-process (a test
client) and under gunicorn (tests/benchmarks/serve_wsgi.py), for whichever settings are loaded
(the portal's, or the allauth anchor project's).

This module is also the URLconf the bare handlers resolve against.
"""

from functools import cache

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template import Context, Engine
from django.test import Client
from django.test.client import ClientHandler
from django.urls import path

BARE_PATH = "/bench/bare/"
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


urlpatterns = [path(BARE_PATH.strip("/") + "/", bare_page)]


class BareURLconfMiddleware:
    """Resolve the request against this module, whatever ROOT_URLCONF says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.urlconf = __name__
        return self.get_response(request)


class BareMiddlewareMixin:
    """Build the handler's middleware chain from BARE_MIDDLEWARE instead of MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        configured = settings.MIDDLEWARE
        settings.MIDDLEWARE = BARE_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = configured


class BareClientHandler(BareMiddlewareMixin, ClientHandler):
    """The test client's handler, through the bare middleware only."""


class BareWSGIHandler(BareMiddlewareMixin, WSGIHandler):
    """A WSGI application through the bare middleware only."""


def bare_client(signed_in: Client) -> Client:
    """Return a test client for the bare page that shares `signed_in`'s cookies (its session)."""
    client = Client(**signed_in.defaults)  # the same browser and address
    client.handler = BareClientHandler(enforce_csrf_checks=False)
    client.cookies = signed_in.cookies
    return client
