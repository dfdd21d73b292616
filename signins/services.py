"""Recording sign-in attempts and security changes, for every app: the functions here are the
only way they are written. Their wording and mail templates live in this app too."""

import ipaddress
import logging
import re
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal.browsers import parse_user_agent
from portal.delivery import DeliveryFailed, send_mail
from portal.http import client_ip, once_per_request
from signins.geo import country_of
from signins.models import SecurityEvent, SignInEvent

logger = logging.getLogger(__name__)


def sign_in_app(request: HttpRequest, target: str | None = None) -> SignInEvent.App:
    """Tell which application the sign-in is for, from where it will land afterwards."""
    if target is None:
        target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith(reverse("admin:index")):
        return SignInEvent.App.ADMIN
    return SignInEvent.App.PORTAL


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
    second_factor: str = "",
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
        second_factor=second_factor,
        ip=ip,
        country=country_of(ip),
        browser=browser.name[:64],
        os=browser.os[:64],
        device=browser.device,
        user_agent=user_agent,
    )


def record_failed_sign_in(
    request: HttpRequest,
    reason: SignInEvent.Reason,
    *,
    user=None,
    email: str = "",
    method: str = "password",
    second_factor: str = "",
    app: SignInEvent.App | None = None,
) -> SignInEvent:
    """Write one failed attempt: at the first factor (`method`) or, with `second_factor`, at
    the second. The application is read off the request unless given."""
    return record_sign_in(
        request,
        result=SignInEvent.Result.FAILURE,
        reason=reason,
        user=user,
        email=email,
        app=app or sign_in_app(request),
        method=method,
        second_factor=second_factor,
    )


# Where the user signed in successfully in this long is "familiar" (for IPv6, the same /64).
FAMILIAR_FOR = timedelta(days=30)


def is_familiar(user, ip: str | None) -> bool:
    """Tell whether the user signed in successfully from this address lately. An unknown
    account (None) costs the same query and is never familiar."""
    return signed_in_from_lately(user, ip, FAMILIAR_FOR)


def side_key(key: str, user, request: HttpRequest) -> str:
    """Key a limit that protects an account by the side the attempt comes from, as the smart
    lockout does: attempts from elsewhere cannot use up what the user has at the office or at
    home. "alice@example.com:familiar" or "alice@example.com:elsewhere". `user` is the account
    or its id; None (no account) is always elsewhere, after the same query."""
    user_id = getattr(user, "pk", user)
    familiar = once_per_request(
        request, f"signins.familiar:{user_id}", lambda: is_familiar(user_id, client_ip(request))
    )
    return f"{key}:{'familiar' if familiar else 'elsewhere'}"


def signed_in_from_lately(user, ip: str | None, within: timedelta) -> bool:
    """Tell whether the user signed in successfully from this address (IPv6: its /64) lately."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    recent = SignInEvent.objects.filter(
        user=user,
        result=SignInEvent.Result.SUCCESS,
        created_at__gte=timezone.now() - within,
    )
    if address.version == 4 or address.ipv4_mapped:
        return recent.filter(ip=ip).exists()
    # Stored IPv6 addresses are compressed text, so a /64 cannot be matched as a prefix in
    # SQL: compare the user's few recent IPv6 addresses here instead.
    network = ipaddress.ip_network(f"{address}/64", strict=False)
    seen = recent.filter(ip__contains=":").order_by().values_list("ip", flat=True).distinct()
    return any(ipaddress.ip_address(other) in network for other in seen if other)


def record_security_event(
    request: HttpRequest,
    user,
    kind: SecurityEvent.Kind,
    *,
    notify: bool = True,
    **params,
) -> SecurityEvent:
    """Log a change to how the user signs in and, by default, tell them by email.

    `params` are its particulars: `method` (a kind's lazy label) with a `detail` (a number, a
    name), and so on; they are worded when shown, in the reader's language (see
    SecurityEvent.detail). The event is written in the caller's transaction; the email goes out
    only once that transaction commits, so a rolled-back change never announces itself.
    """
    ip = client_ip(request)
    browser = parse_user_agent(request.META.get("HTTP_USER_AGENT", ""))
    actor = request.user if request.user.is_authenticated and request.user != user else None
    event = SecurityEvent.objects.create(
        user=user,
        kind=kind,
        params=SecurityEvent.storable(params),
        ip=ip,
        country=country_of(ip),
        browser=browser.label[:128],
        actor=actor,
    )
    if notify:
        transaction.on_commit(partial(_send_notification, event, site_url(request)))
    return event


def site_url(request: HttpRequest) -> str:
    """The portal's address as this request reached it, e.g. "https://account.example.com"."""
    return request.build_absolute_uri("/").rstrip("/")


def _send_notification(event: SecurityEvent, site_url: str) -> None:
    context = {
        "event": event,
        "user": event.user,
        "site_url": site_url,
        "site_name": settings.SITE_NAME,
    }
    with (
        translation.override(event.user.preferred_language or None),
        timezone.override(event.user.time_zone or None),
    ):
        subject = render_to_string("signins/email/security_event_subject.txt", context).strip()
        body = render_to_string("signins/email/security_event_message.txt", context)
    try:
        send_mail(event.user.email, subject, body)
    except DeliveryFailed:
        # The change itself stands; the log keeps the event even if the mail cannot go out.
        logger.warning("could not send the security notification for event %s", event.pk)
