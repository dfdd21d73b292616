import ipaddress
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.functional import LazyObject
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from portal import sessions
from portal.browsers import Support, parse_user_agent
from portal.http import wants_json
from portal.interrupts import pending_interrupt
from portal.ratelimits import LimitsUnavailable, RateLimited
from portal.views import health, temporarily_unavailable, too_many_requests, worker_health

logger = logging.getLogger(__name__)

SUPPORTED_BROWSER_NAMES = ("Microsoft Edge", "Google Chrome", "Mozilla Firefox", "Apple Safari")
# Not pages: load balancers and API clients get their answer whatever they call themselves.
PASS_THROUGH_PATHS = ("/health/", "/api/")


class HealthCheckMiddleware:
    """Answer the health checks before anything else runs: no session (whose loading needs the
    database they report on), no HTTPS redirect, no host check (probes come by IP address)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in {"GET", "HEAD"}:
            if request.path == "/health/":
                return health(request)
            if request.path == "/health/worker/":
                return worker_health(request)
        return self.get_response(request)


class LocalhostMiddleware:
    """In development, send a visit to a loopback IP address (127.0.0.1, [::1], any port) to
    the same page on localhost: browsers refuse passkeys at an IP address, and localhost is
    where everything works. Listed in MIDDLEWARE only when DEBUG is on, and inert without it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            domain, port = split_domain_port(request.get_host())
            if _is_loopback_address(domain):
                netloc = f"localhost:{port}" if port else "localhost"
                # Temporary: another project may serve 127.0.0.1 tomorrow.
                return HttpResponseRedirect(f"{request.scheme}://{netloc}{request.get_full_path()}")
        return self.get_response(request)


def _is_loopback_address(domain: str) -> bool:
    try:
        return ipaddress.ip_address(domain.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


class BrowserCheckMiddleware:
    """Turn away browsers the portal cannot work in; note the browser on every request.

    Internet Explorer and EdgeHTML get a page that lists the supported browsers. Everything
    else passes: current and outdated browsers (the latter see a banner), and clients that
    are not browsers at all (bots, health checks, API clients).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.browser = parse_user_agent(request.META.get("HTTP_USER_AGENT", ""))
        if request.browser.support is Support.UNSUPPORTED and not request.path_info.startswith(
            PASS_THROUGH_PATHS
        ):
            response = render(
                request,
                "portal/unsupported_browser.html",
                {"browser": request.browser, "supported": SUPPORTED_BROWSER_NAMES},
            )
            add_never_cache_headers(response)
        else:
            response = self.get_response(request)
        patch_vary_headers(response, ["User-Agent"])
        return response


class SessionTimeoutMiddleware:
    """End a session left idle too long or signed in too long ago (portal.sessions says when),
    and send its owner to sign in again, back to where they were.

    A page gets a redirect to the sign-in page, which says why; a script or an API client gets
    401 with the same message as JSON; a public page is simply shown signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        message = sessions.note_activity(request)
        if message is None:
            return None
        logout(request)
        messages.warning(request, message)
        if not getattr(view_func, "login_required", True):
            return None
        login_url = resolve_url(settings.LOGIN_URL)
        if back := _return_path(request):
            login_url = f"{login_url}?{urlencode({'next': back})}"
        if wants_json(request):
            body = {"error": "signed_out", "message": message, "location": login_url}
            return JsonResponse(body, status=401)
        return redirect(login_url)


def _return_path(request: HttpRequest) -> str | None:
    """Where to come back to after signing in again: this page, or for a form or a script's
    request, the page it was sent from (when that page is on this site)."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(referer)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path or None


class PortalMiddleware:
    """Attach what every portal page needs, and end sessions of disabled accounts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            if SESSION_KEY in request.session:
                # The account behind this session was disabled (the auth backend no longer
                # returns it): end the session itself, not only this request's view of it.
                logout(request)
                messages.warning(
                    request,
                    _("You have been signed out because your account is disabled."),
                )
            return self.get_response(request)

        # The user itself rather than its lazy stand-in: every page reads it many times, and
        # each read through the stand-in costs a proxy call.
        if isinstance(user, LazyObject):
            request.user = user = get_user(request)
        if user.time_zone:
            timezone.activate(user.time_zone)
        if user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or request.resolver_match is None:
            return None
        interrupt = pending_interrupt(request, request.resolver_match.view_name)
        if interrupt is not None:
            return redirect(interrupt.url_name)
        return None


class RateLimitMiddleware:
    """Answer every RateLimited, wherever a view raised it, with the one "Too many attempts"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception)
        if isinstance(exception, LimitsUnavailable):
            logger.error("rate limits unavailable: %s", exception)
            return temporarily_unavailable(request)
        return None


class NeverCacheSignedInMiddleware:
    """Keep whatever a signed-in person is shown out of every cache, the browser's included.

    Pages, redirects and error pages alike, so that Back after signing out, or the next person
    at a shared computer, finds nothing. A response that says how it may be cached keeps its
    own word (the photo, the "Too many attempts" page); anonymous pages and static files,
    which WhiteNoise answers before this runs, keep their caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # none when an outer middleware answered early
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
