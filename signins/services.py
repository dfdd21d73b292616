import re

from django.http import HttpRequest

from portal.browsers import parse_user_agent
from portal.http import client_ip
from signins.geo import country_of
from signins.models import SignInEvent

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def record_sign_in(
    request: HttpRequest,
    *,
    result: SignInEvent.Result,
    user=None,
    email: str = "",
    reason: SignInEvent.Reason = SignInEvent.Reason.NONE,
    app: SignInEvent.App = SignInEvent.App.PORTAL,
    method: str = "",
) -> SignInEvent:
    """Write one sign-in attempt with where it came from (IP, country, browser)."""
    # Headers and typed addresses are client input: control characters are dropped (a NUL
    # would even make PostgreSQL refuse the row).
    user_agent = _CONTROL_CHARACTERS.sub("", request.META.get("HTTP_USER_AGENT", ""))[:512]
    browser = parse_user_agent(user_agent)
    ip = client_ip(request)
    return SignInEvent.objects.create(
        user=user,
        email=_CONTROL_CHARACTERS.sub("", email or getattr(user, "email", ""))
        .strip()
        .lower()[:254],
        result=result,
        reason=reason,
        app=app,
        method=method,
        ip=ip,
        country=country_of(ip),
        browser=browser.name[:64],
        os=browser.os[:64],
        device=browser.device,
        user_agent=user_agent,
    )
