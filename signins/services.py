import logging
import re
from functools import partial

from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal.browsers import parse_user_agent
from portal.http import client_ip
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


def record_security_event(
    request: HttpRequest,
    user,
    kind: SecurityEvent.Kind,
    detail: str = "",
    *,
    notify: bool = True,
) -> SecurityEvent:
    """Log a change to how the user signs in and, by default, tell them by email.

    The event is written in the caller's transaction; the email goes out only once that
    transaction commits, so a rolled-back change never announces itself.
    """
    ip = client_ip(request)
    browser = parse_user_agent(request.META.get("HTTP_USER_AGENT", ""))
    actor = request.user if request.user.is_authenticated and request.user != user else None
    event = SecurityEvent.objects.create(
        user=user,
        kind=kind,
        detail=detail[:200],
        ip=ip,
        country=country_of(ip),
        browser=browser.label[:128],
        actor=actor,
    )
    if notify:
        transaction.on_commit(partial(_send_notification, event, request.build_absolute_uri("/")))
    return event


def _send_notification(event: SecurityEvent, site_url: str) -> None:
    from security_info.delivery import DeliveryFailed, send_mail

    context = {"event": event, "user": event.user, "site_url": site_url}
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
