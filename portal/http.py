"""The request every portal view receives, and facts read off any request."""

from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from portal.browsers import Browser
from portal.models import User

if TYPE_CHECKING:  # set by organizations' middleware; portal itself never reads it
    from organizations.models import Organization


class PortalRequest(HttpRequest):
    """A request after the portal middleware: signed in, with what every page needs."""

    user: User  # type: ignore[assignment]
    browser: Browser
    home_organization: "Organization | None"


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
