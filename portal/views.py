from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import delivery, ratelimits, worker
from portal.context_processors import BROWSER_NOTICE_COOKIE, browser_notice_key
from portal.http import PortalRequest, safe_next, wants_json
from portal.navigation import page_addresses
from portal.ratelimits import RateLimited

UNAVAILABLE_RETRY_AFTER = 30  # seconds: how soon to try again while a dependency is down

# The directory attributes on the profile card, in the order the organization's directory
# lists them. The organization manages them; the user only reads them.
PROFILE_FIELDS = (
    ("job_title", gettext_lazy("Job title")),
    ("department", gettext_lazy("Department")),
    ("office_location", gettext_lazy("Office")),
    ("business_phone", gettext_lazy("Business phone")),
    ("mobile_phone", gettext_lazy("Mobile phone")),
)


@require_GET
def overview(request: PortalRequest) -> HttpResponse:
    user = request.user
    profile = [(label, getattr(user, field)) for field, label in PROFILE_FIELDS]
    tiles = [
        {
            "title": page.label,
            "icon": page.icon,
            "url": url,
            "description": page.tile.description,
            "link_text": page.tile.link_text,
            "summary": page.tile.summary_for(request),
        }
        for page, url in page_addresses()
        if page.tile
    ]
    return render(request, "portal/overview.html", {"profile": profile, "tiles": tiles})


@require_GET
def photo(request: PortalRequest) -> FileResponse:
    """Serve the signed-in user's own photo (photos are not public files)."""
    if not request.user.photo:
        raise Http404
    try:
        response = FileResponse(request.user.photo.open("rb"))
    except FileNotFoundError:
        raise Http404 from None
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_not_required
@require_POST
def dismiss_browser_notice(request) -> HttpResponse:
    """Hide the "update your browser" banner for this browser version, then go back."""
    ratelimits.consume(request, "dismiss_notice")  # public, and it answers with a cookie
    response = redirect(safe_next(request, request.POST.get("next")))
    browser = request.browser
    response.set_cookie(
        BROWSER_NOTICE_COOKIE,
        browser_notice_key(browser),
        max_age=60 * 60 * 24 * 30,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


@login_not_required
@never_cache
@require_GET
def health(request) -> HttpResponse:
    """Answer load balancers: 200 when the database, the cache and the rate-limit counts
    answer; 503 naming what does not (never how it failed)."""
    down = [name for name, answers in _DEPENDENCIES if not answers()]
    if down:
        body = "".join(f"{name} unavailable\n" for name in down)
        return HttpResponse(body, status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready", whatever its kind
        return False
    return True


def _cache_answers() -> bool:
    try:
        cache.set("portal:health", "ok", 10)
        return cache.get("portal:health") == "ok"
    except Exception:  # any cache failure means "not ready", whatever its kind
        return False


_DEPENDENCIES = (
    ("database", _database_answers),
    ("cache", _cache_answers),
    ("rate limits", ratelimits.available),
)


@login_not_required
@never_cache
@require_GET
def worker_health(request) -> HttpResponse:
    """Answer the worker's monitor: 200 when a live worker serves every queue and nothing due
    waits on one; 503 naming what is wrong. Apart from /health/, so a stopped worker does not
    take the web servers out of the load balancer."""
    if not _database_answers():
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    if problems := worker.health():
        body = "".join(f"{problem} unavailable\n" for problem in problems)
        return HttpResponse(body, status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@login_not_required  # the second step of signing in waits on its code too
@never_cache
def delivery_status(request: HttpRequest, pk) -> HttpResponse:
    """How a send this session asked for is going, for the page waiting on it to update.
    Someone else's, or none, is 404 whatever the method."""
    found = delivery.for_session(request, pk)
    if found is None:
        raise Http404
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return JsonResponse(
        {"status": found.status, "attempts": found.attempts, "finished": found.finished}
    )


@never_cache
@login_not_required  # codes are read here before the sign-in is finished
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """The development outbox: texts and calls the console sender "sent" (DEBUG only)."""
    if not settings.DEV_OUTBOX:
        raise Http404
    return render(request, "portal/outbox.html", {"messages_sent": delivery.recent_outbox()})


def temporarily_unavailable(request: HttpRequest) -> HttpResponse:
    """Say that a part the portal needs (the rate-limit counts) is down for now: 503, as a
    page or as JSON. Not a view: RateLimitMiddleware answers LimitsUnavailable with it."""
    message = _("This is temporarily unavailable. Try again in a minute or two.")
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"error": "unavailable", "message": message, "retry_after": UNAVAILABLE_RETRY_AFTER},
            status=503,
        )
    else:
        response = render(request, "503.html", {"message": message}, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def too_many_requests(request: HttpRequest, limit: RateLimited) -> HttpResponse:
    """Say that a rate limit was hit and when to try again, as a page or as JSON.

    Not a view: RateLimitMiddleware answers every RateLimited with it.
    """
    if wants_json(request):
        body = {"error": "rate_limited", "message": limit.message, "retry_after": limit.retry_after}
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        response = render(request, "429.html", {"message": limit.message}, status=429)
    response["Retry-After"] = str(limit.retry_after)
    response["Cache-Control"] = "no-store"
    return response


# Error pages: the templates for people (404.html, …), JSON for the API and scripts -----------
# (wired in myaccount/urls.py as handler400…handler500, and settings.CSRF_FAILURE_VIEW).

ERRORS = {
    400: ("bad_request", gettext_lazy("The request could not be read.")),
    403: ("forbidden", gettext_lazy("You don't have permission to do this.")),
    404: ("not_found", gettext_lazy("There is nothing at this address.")),
    500: ("server_error", gettext_lazy("Something went wrong on our side. Try again later.")),
}


def json_error(status: int, code: str, message: "str | Promise") -> JsonResponse:
    """The API's answer for every error: {"error": code, "message": text}, never cached."""
    response = JsonResponse({"error": code, "message": str(message)}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error_page(request: HttpRequest, status: int, default, **kwargs) -> HttpResponse:
    if wants_json(request):
        code, message = ERRORS[status]
        return json_error(status, code, message)
    return default(request, **kwargs)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, 400, defaults.bad_request, exception=exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, 403, defaults.permission_denied, exception=exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, 404, defaults.page_not_found, exception=exception)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(request, 500, defaults.server_error)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its token (open too long, cookies blocked): "This page expired",
    or for a script, JSON that says what was missing."""
    if wants_json(request):
        message = _(
            "This request was refused because its CSRF token is missing or wrong. The API "
            "takes an app password (HTTP Basic), never a browser session."
        )
        return json_error(403, "csrf_failed", message)
    return csrf.csrf_failure(request, reason=reason)
