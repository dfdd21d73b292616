"""The request every portal view receives, and facts read off any request."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from organizations.models import Organization
from portal.browsers import Browser
from portal.models import User


class PortalRequest(HttpRequest):
    """A request after the portal middleware: signed in, with what every page needs."""

    user: User
    browser: Browser
    home_organization: Organization | None


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address, read through the configured trusted proxies."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None
