"""Interrupts: things a signed-in user must do before using the portal.

An app declares them on its AppConfig (`portal_interrupts = (Interrupt(...),)`). Each is a
flag in the session, set when the need arises (at sign-in, say) and cleared when it is met, so
checking them costs no query. While one is pending, every page outside its `allowed` URL
namespaces redirects to its page.
"""

from dataclasses import dataclass
from functools import cache

from django.apps import apps


@dataclass(frozen=True)
class Interrupt:
    session_key: str
    url_name: str
    # URL names or "namespace:" prefixes that stay reachable meanwhile (signing out always does).
    allowed: tuple[str, ...]


# Signing out, the health check, and the API (it authenticates each call itself and never
# uses the session) stay reachable whatever is pending.
ALWAYS_ALLOWED = ("account_logout", "health", "portal:dismiss_browser_notice", "api:")


@cache
def portal_interrupts() -> tuple[Interrupt, ...]:
    return tuple(
        interrupt
        for config in apps.get_app_configs()
        for interrupt in getattr(config, "portal_interrupts", ())
    )


def pending_interrupt(request, view_name: str) -> Interrupt | None:
    """Return the first pending interrupt this view is not exempt from, if any."""
    for interrupt in portal_interrupts():
        if not request.session.get(interrupt.session_key):
            continue
        allowed = (*interrupt.allowed, *ALWAYS_ALLOWED, interrupt.url_name)
        if any(view_name == a or (a.endswith(":") and view_name.startswith(a)) for a in allowed):
            continue
        return interrupt
    return None
