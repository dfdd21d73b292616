"""Interrupts: things a signed-in user must do before using the portal.

An app declares them on its AppConfig (`portal_interrupts = (Interrupt(...),)`). At sign-in,
portal.stages.InterruptsStage asks each whether it is due for this user; a due one becomes a flag in the
session, cleared by its own page once it is met, so checking them on later requests costs no
query. While one is pending, every page outside its `allowed` URL names redirects to its page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from portal.models import User


@dataclass(frozen=True)
class Interrupt:
    session_key: str
    url_name: str
    # URL names or "namespace:" prefixes that stay reachable meanwhile (signing out always does).
    allowed: tuple[str, ...]
    # Dotted path to `f(request, user) -> value`: whether the interrupt is due at this sign-in.
    # A truthy value is kept in the session for the interrupt's page to read (a reason, say).
    due: str
    order: int = 0  # the lowest pending one comes first
    # The layout its allowed pages extend meanwhile (their templates extend `page_layout`),
    # e.g. the sign-in pages' look instead of the portal's navigation; "" keeps theirs.
    layout: str = ""

    def due_for(self, request: HttpRequest, user: "User") -> Any:
        check: Callable[[HttpRequest, User], Any] = import_string(self.due)
        return check(request, user)


# Signing out, the health check, and the API (it authenticates each call itself and never
# uses the session) stay reachable whatever is pending.
ALWAYS_ALLOWED = ("account_logout", "health", "portal:dismiss_browser_notice", "api:")
# Where the sign-in was going when interrupts came due: where an interrupt's last page leads.
CONTINUE_SESSION_KEY = "portal.interrupted_url"


@cache
def portal_interrupts() -> tuple[Interrupt, ...]:
    """Return every installed app's interrupts, the one to meet first first."""
    found = [
        interrupt
        for config in apps.get_app_configs()
        for interrupt in getattr(config, "portal_interrupts", ())
    ]
    return tuple(sorted(found, key=lambda interrupt: interrupt.order))


def _first_pending(request: HttpRequest) -> Interrupt | None:
    return next((i for i in portal_interrupts() if request.session.get(i.session_key)), None)


def _allows(interrupt: Interrupt, view_name: str) -> bool:
    allowed = (*interrupt.allowed, *ALWAYS_ALLOWED, interrupt.url_name)
    return any(view_name == a or (a.endswith(":") and view_name.startswith(a)) for a in allowed)


def pending_interrupt(request: HttpRequest, view_name: str) -> Interrupt | None:
    """Return the interrupt to meet first, unless this view is one of its own pages."""
    interrupt = _first_pending(request)
    if interrupt is None or _allows(interrupt, view_name):
        return None
    return interrupt


def interrupt_layout(request: HttpRequest, view_name: str) -> str:
    """Return the layout this view's page takes while an interrupt is under way ("" for its
    own)."""
    interrupt = _first_pending(request)
    if interrupt is None or not _allows(interrupt, view_name):
        return ""
    return interrupt.layout


def continue_url(request: HttpRequest) -> str:
    """Return where the person was going when the interrupts came due (a page of this site),
    else the page a sign-in leads to."""
    url = request.session.get(CONTINUE_SESSION_KEY) or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)
