from django.conf import settings

from portal.browsers import Support
from portal.interrupts import interrupt_layout
from portal.navigation import page_addresses

BROWSER_NOTICE_COOKIE = "browser_notice_dismissed"
PORTAL_LAYOUT = "layouts/portal.html"


def portal(request) -> dict:
    """Give every template the product name, the navigation, the browser notice, and the
    layout a page that may be part of an interrupt extends (`page_layout`)."""
    context = {
        "site_name": settings.SITE_NAME,
        "browser_notice": _browser_notice(request),
        "page_layout": PORTAL_LAYOUT,
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        current = request.resolver_match.view_name if request.resolver_match else ""
        context["page_layout"] = interrupt_layout(request, current) or PORTAL_LAYOUT
        context["navigation"] = [
            {
                "label": page.label,
                "url": url,
                "icon": page.icon,
                "current": page.url_name == current,
            }
            for page, url in page_addresses()
        ]
    return context


def _browser_notice(request):
    browser = getattr(request, "browser", None)
    if browser is None or browser.support is not Support.OUTDATED:
        return None
    if request.COOKIES.get(BROWSER_NOTICE_COOKIE) == browser_notice_key(browser):
        return None
    return browser


def browser_notice_key(browser) -> str:
    """Name the browser version a dismissal applies to, so the next outdated one shows again."""
    return f"{browser.family}-{browser.version}".replace(" ", "_")
