"""The portal's pages as the left navigation and the Overview tiles show them.

Each page-app declares its pages on its AppConfig (`portal_pages = (PortalPage(...),)`), so a
page that is not built yet simply does not appear.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Tile:
    """An Overview card that links to the page."""

    description: str | Promise
    link_text: str | Promise
    # Dotted path to `f(request) -> str`: a one-line status such as "3 methods". Keep it to
    # one query: the Overview's query budget is shared by every tile.
    summary: str = ""

    def summary_for(self, request) -> str:
        if not self.summary:
            return ""
        summarize: Callable = import_string(self.summary)
        return summarize(request)


@dataclass(frozen=True)
class PortalPage:
    label: str | Promise
    url_name: str
    icon: str  # the id of a symbol in static/portal/icons.svg
    order: int
    tile: Tile | None = None


@cache
def portal_pages() -> tuple[PortalPage, ...]:
    """Return every installed app's pages in navigation order."""
    pages = [
        page for config in apps.get_app_configs() for page in getattr(config, "portal_pages", ())
    ]
    return tuple(sorted(pages, key=lambda page: page.order))


def page_addresses() -> tuple[tuple[PortalPage, str], ...]:
    """Each page with its address, in navigation order."""
    pages = portal_pages()
    key = (id(pages), get_script_prefix())
    found = _pages_at.get(key)
    if found is None or found[0] is not pages:  # pages known by identity: hashing reads labels
        found = _pages_at[key] = (pages, tuple((page, address(page.url_name)) for page in pages))
    return found[1]


def address(name: str) -> str:
    """Return `reverse(name)` for an address without arguments, worked out once for each
    script prefix and URLconf (reversing walks the URLconf every time)."""
    key = (name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    found = _addresses.get(key)
    if found is None:
        found = _addresses[key] = reverse(name)
    return found


_pages_at: dict[tuple[int, str], tuple[tuple[PortalPage, ...], tuple]] = {}
_addresses: dict[tuple[str, str, str], str] = {}
