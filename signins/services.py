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
    """Write one sign-in attempt with where it came from (IP, country, browser).

    A success that ends an attempt begun at the second step (`begin_sign_in`) and finished
    there settles that attempt's row instead: each attempt is one event.
    """
    if result == SignInEvent.Result.SUCCESS and user is not None:
        attempt = request.session.get(ATTEMPT_SESSION_KEY) if hasattr(request, "session") else None
        if attempt and attempt["user"] == user.pk and attempt["finished"]:
            del request.session[ATTEMPT_SESSION_KEY]
            if settled := _settle(
                attempt["event"], result, method=method, second_factor=second_factor, app=app
            ):
                return settled
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


# The sign-in attempt waiting at its second step in this session: {"event", "user", "finished"}.
ATTEMPT_SESSION_KEY = "signins.attempt"
REFERENCE_PREFIX = "sign_in:"


def begin_sign_in(request: HttpRequest, user, *, app, method: str, second_factor: str) -> None:
    """Record the attempt now that the password is right and a second step is asked for: as
    "interrupted", which it stays if it goes no further (cancelled, abandoned, a code that
    never comes). What happens next settles it: `record_second_step_failure`, or the success
    `record_sign_in` writes once `finish_second_step` has marked it finished."""
    event = record_sign_in(
        request,
        result=SignInEvent.Result.INTERRUPTED,
        user=user,
        app=app,
        method=method,
        second_factor=second_factor,
    )
    request.session[ATTEMPT_SESSION_KEY] = {"event": event.pk, "user": user.pk, "finished": False}


def record_second_step_failure(
    request: HttpRequest, reason: SignInEvent.Reason, *, user, app, method: str, second_factor: str
) -> SignInEvent:
    """Write a failure at the second step: the first settles the waiting attempt, any later
    one (another wrong code) is an attempt of its own."""
    attempt = request.session.get(ATTEMPT_SESSION_KEY)
    if attempt and attempt["user"] == user.pk and not attempt["finished"]:
        del request.session[ATTEMPT_SESSION_KEY]
        if settled := _settle(
            attempt["event"],
            SignInEvent.Result.FAILURE,
            reason=reason,
            method=method,
            second_factor=second_factor,
            app=app,
        ):
            return settled
        # A send that failed at once has settled it already (settle_failed_send): the same
        # failure, not another attempt.
        if same := SignInEvent.objects.filter(
            pk=attempt["event"], result=SignInEvent.Result.FAILURE, reason=reason
        ).first():
            return same
    return record_failed_sign_in(
        request, reason, user=user, app=app, method=method, second_factor=second_factor
    )


def finish_second_step(request: HttpRequest) -> None:
    """Mark the waiting attempt as passed: the success recorded next settles it."""
    if attempt := request.session.get(ATTEMPT_SESSION_KEY):
        request.session[ATTEMPT_SESSION_KEY] = {**attempt, "finished": True}


def end_sign_in_attempt(request: HttpRequest) -> None:
    """Leave the waiting attempt as it is (cancelled): a later sign-in is another attempt."""
    request.session.pop(ATTEMPT_SESSION_KEY, None)


def sign_in_reference(request: HttpRequest) -> str:
    """Name the waiting attempt for a send made for it (portal.delivery's `reference`), so a
    send that fails for good settles it as "send failed"; "" when there is none."""
    attempt = request.session.get(ATTEMPT_SESSION_KEY)
    if not attempt or attempt["finished"]:
        return ""
    return f"{REFERENCE_PREFIX}{attempt['event']}"


def settle_failed_send(sender, delivery, **kwargs) -> None:
    """portal.delivery gave up on a sign-in code: the attempt, if still waiting, failed so."""
    reference = delivery.reference
    if reference.startswith(REFERENCE_PREFIX) and reference[len(REFERENCE_PREFIX) :].isdigit():
        SignInEvent.objects.filter(
            pk=int(reference[len(REFERENCE_PREFIX) :]), result=SignInEvent.Result.INTERRUPTED
        ).update(result=SignInEvent.Result.FAILURE, reason=SignInEvent.Reason.SEND_FAILED)


def _settle(event_id: int, result, **fields) -> SignInEvent | None:
    """Give the attempt still "interrupted" its outcome; None if it has one already."""
    fields = {name: value for name, value in fields.items() if value}
    settled = SignInEvent.objects.filter(pk=event_id, result=SignInEvent.Result.INTERRUPTED).update(
        result=result, **fields
    )
    return SignInEvent.objects.filter(pk=event_id).first() if settled else None


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
        send_mail(event.user.email, subject, body, purpose="security notice", user=event.user)
    except DeliveryFailed:
        # The change itself stands; the log keeps the event, the delivery's row says why.
        logger.warning("could not send the security notification for event %s", event.pk)
