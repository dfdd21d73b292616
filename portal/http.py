"""The request every portal view receives, facts read off any request, and reading one safely."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from portal.browsers import Browser
from portal.models import User

if TYPE_CHECKING:  # set by organizations' middleware; portal itself never reads it
    from organizations.models import Organization


class PortalRequest(HttpRequest):
    """A request after the portal middleware: signed in, with what every page needs."""

    user: User
    browser: Browser
    home_organization: "Organization | None"


def once_per_request[T](request: HttpRequest, key: str, compute: Callable[[], T]) -> T:
    """Return what `compute()` returns, computed once for this request (several parts of a page
    ask the same question: sudo mode and Security info both read the user's methods)."""
    answers: dict[str, Any] = request.__dict__.setdefault("_once_per_request", {})
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address, read through the configured trusted proxies."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None


def wants_json(request: HttpRequest) -> bool:
    """Tell whether the client is a script or an API client that reads JSON, not a page."""
    match = request.resolver_match
    return (
        (match is not None and match.namespace == "api")
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


def safe_next(request: HttpRequest, target: object, default: str = "/") -> str:
    """Return `target` when it is a path on this site, else `default`.

    Only paths are let through: not another site, not a scheme such as javascript:, and not a
    bare word such as "abc", which redirect() would try to read as the name of a view.
    """
    if (
        isinstance(target, str)
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
