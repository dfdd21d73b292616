"""Calls that ask for approval, as Microsoft's phone-call verification does.

Under the policy's "press # to approve" (AuthenticationPolicy.call_verification), a call to a
phone reads no code: it asks the person to press # to approve, or 0 to report a call they did
not expect. Twilio posts the key to `answer` and how the call ended to `status` (views.calls),
at URLs named by a random token that is stored only as a keyed hash; both are believed only
with Twilio's signature over the URL we gave it. The page that asked for the call follows its
state by the call's id, which only that session holds (the challenge keeps it), and once it is
approved finishes what it was for, exactly as if a code had been typed (`take_approval`).

A report denies the call, blocks the number for the person's sign-ins and verifications for
the policy's number of days (BlockedPhone), records a security event, and mails the person
and their organization's admins.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.template.defaultfilters import date as format_date
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from organizations.policies import admin_addresses, authentication_policy
from portal import crypto, delivery
from security_info import cache
from security_info.models import BlockedPhone, Method, PhoneCall
from signins.models import SecurityEvent
from signins.services import record_security_event

logger = logging.getLogger(__name__)

TOKEN_PURPOSE = "phone_call"  # noqa: S105 (names a digest, holds no secret)
LIFETIME = 10 * 60  # seconds an approval can be used, as long as a code lives
APPROVE, REPORT = "#", "0"
State = PhoneCall.State
# Twilio's CallStatus at the end of a call, and what it means for one still waiting.
ENDINGS = {
    "completed": State.ENDED,  # answered, and hung up without a key (or after the closing)
    "busy": State.BUSY,
    "no-answer": State.NO_ANSWER,
    "failed": State.FAILED,
    "canceled": State.FAILED,
}


class NotPending(Exception):
    """The call was already settled (approved, reported, ended) or has expired."""


def approves(policy) -> bool:
    """Tell whether the policy's calls ask for approval (else they read a code)."""
    return policy.call_verification == "approve"


# Placing ------------------------------------------------------------------------------------


def place(request: HttpRequest, *, user_id, purpose: str, phone: str, extension: str, about):
    """Record an approval call and queue it; return (call, delivery). Raise DeliveryFailed as
    delivery.place_call does (the call is then marked failed)."""
    token = secrets.token_urlsafe(32)
    base = settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")
    call = PhoneCall.objects.create(
        token_digest=crypto.digest(token, TOKEN_PURPOSE),
        user_id=user_id,
        purpose=purpose,
        phone=phone,
        callback_base=base,
        expires_at=timezone.now() + timedelta(seconds=LIFETIME),
    )
    policy = authentication_policy(call.user)
    try:
        sent = delivery.place_call(
            phone,
            words(purpose, reports=policy.call_fraud_reports),
            extension=extension,
            gather_url=base + reverse("security_info:call_answer", args=[token]),
            closing=closing_words(),
            status_url=base + reverse("security_info:call_status", args=[token]),
            **about,
        )
    except delivery.DeliveryFailed:
        _settle(call, State.FAILED)
        raise
    return call, sent


def words(purpose: str, *, reports: bool) -> str:
    """What the call says (in the active language), read twice while it listens for a key."""
    if purpose == "register":
        ask = _(
            "Hello. This number is being added to the security info of a work account. "
            "To confirm it, press the pound key."
        )
    elif purpose == "sudo":
        ask = _(
            "Hello. Someone is confirming it's you before changing your work account's "
            "security info. To approve, press the pound key."
        )
    else:
        ask = _(
            "Hello. Someone is signing in to your work account. To finish signing in, "
            "press the pound key."
        )
    if reports:
        ask += " " + _("If you did not expect this call, press zero to report it.")
    return ask


def closing_words() -> str:
    return _("No key was pressed, so nothing was approved. Goodbye.")


# Twilio's callbacks -------------------------------------------------------------------------


def find(token: str) -> PhoneCall | None:
    if not token or len(token) > 100:
        return None
    digests = crypto.digests(token, TOKEN_PURPOSE)
    return PhoneCall.objects.filter(token_digest__in=digests).select_related("user").first()


def signed_by_twilio(request: HttpRequest, call: PhoneCall) -> bool:
    """Tell whether Twilio signed this request (X-Twilio-Signature over the URL it was
    given and the posted fields, with our auth token) for our account. The console phone of
    development has no Twilio: its keys are pressed on the outbox page."""
    from twilio.request_validator import RequestValidator  # noqa: PLC0415 (slow to import)

    if settings.PHONE_BACKEND == "console":  # the development phone (DEBUG only): its outbox
        return True
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.TWILIO_AUTH_TOKEN
    if not signature or not token or request.POST.get("AccountSid") != settings.TWILIO_ACCOUNT_SID:
        return False
    url = call.callback_base + request.get_full_path()
    return RequestValidator(token).validate(url, request.POST.dict(), signature)


def press(request: HttpRequest, call: PhoneCall, digit: str) -> str:
    """Act on the key pressed during the call; return the TwiML that answers Twilio.
    Raise NotPending when the call was settled already: a replay changes nothing."""
    from twilio.twiml.voice_response import VoiceResponse  # noqa: PLC0415 (slow to import)

    if call.state != State.CALLING or call.expires_at <= timezone.now():
        raise NotPending
    policy = authentication_policy(call.user)
    twiml = VoiceResponse()
    with translation.override(call.user.preferred_language or None):
        if digit == APPROVE:
            if not _settle(call, State.APPROVED):
                raise NotPending
            twiml.say(_("Thank you. You can go back to your screen now. Goodbye."))
        elif digit == REPORT and policy.call_fraud_reports:
            if not _settle(call, State.REPORTED):
                raise NotPending
            report(call, policy)
            twiml.say(
                _("Thank you. Nothing was approved, and your organization has been told. Goodbye.")
            )
        else:  # another key: say so and listen again
            twiml.say(_("That key does nothing here."))
            gather = twiml.gather(
                action=call.callback_base + request.get_full_path(),
                method="POST",
                input="dtmf",
                num_digits=1,
                finish_on_key="",
                timeout=delivery.GATHER_TIMEOUT,
            )
            gather.say(words(call.purpose, reports=policy.call_fraud_reports))
            twiml.say(closing_words())
    return str(twiml)


def hear_status(call: PhoneCall, status: str) -> bool:
    """Settle a call still waiting by how Twilio says it ended; tell whether it changed."""
    ending = ENDINGS.get(status)
    return ending is not None and _settle(call, ending)


def _settle(call: PhoneCall, state: str) -> bool:
    """Move a waiting call to `state`, once: a second callback finds nothing to change."""
    changed = PhoneCall.objects.filter(pk=call.pk, state=State.CALLING).update(
        state=state, settled_at=timezone.now()
    )
    if changed:
        call.state = state
    return bool(changed)


# Reports and blocks -------------------------------------------------------------------------


def report(call: PhoneCall, policy) -> None:
    """Block the number for the user, record it, and tell the user and their admins."""
    user = call.user
    until = None
    with transaction.atomic():
        if policy.call_block_days:
            until = timezone.now() + timedelta(days=policy.call_block_days)
            BlockedPhone.objects.update_or_create(
                user=user, phone=call.phone, defaults={"until": until, "blocked_at": timezone.now()}
            )
        record_security_event(
            _from_the_phone(),  # not Twilio's address: the report came from the phone
            user,
            SecurityEvent.Kind.CALL_REPORTED,
            notify=False,  # the mail below says what happened and what to do
            method=Method.Kind.MOBILE_PHONE.label,
            detail=call.phone,
        )
    transaction.on_commit(lambda: _tell(call, until))


def _from_the_phone() -> HttpRequest:
    """A request with no address or browser, for an event that happened on a phone."""
    request = HttpRequest()
    request.user = AnonymousUser()
    return request


def _tell(call: PhoneCall, until) -> None:
    user = call.user
    security_info_url = call.callback_base + reverse("security_info:index")
    reset_url = call.callback_base + reverse("password:reset")
    with translation.override(user.preferred_language or None):
        blocked = (
            _("The number can't be used to verify your sign-ins until %(until)s.")
            % {"until": format_date(timezone.localtime(until), "DATETIME_FORMAT")}
            if until
            else ""
        )
        body = _(
            "Hello %(name)s,\n\n"
            "Someone answered a call to %(phone)s and reported that they did not expect it. "
            "Nothing was approved. %(blocked)s\n\n"
            "If you did not try to sign in, someone may know your password: reset it now at "
            "%(reset_url)s and review your security info at %(security_info_url)s. "
            "Your admins have been told."
        ) % {
            "name": user.get_full_name() or user.email,
            "phone": call.phone,
            "blocked": blocked,
            "reset_url": reset_url,
            "security_info_url": security_info_url,
        }
        _mail(user.email, _("A call you did not expect was reported"), body, user)
    admin_url = call.callback_base + reverse("admin:security_info_blockedphone_changelist")
    for address in admin_addresses(user):
        body = _(
            "%(user)s reported a call to %(phone)s that they did not expect: someone who knows "
            "their password may be trying to sign in. Nothing was approved. %(blocked)s\n\n"
            "Blocked numbers, which you can unblock: %(admin_url)s"
        ) % {
            "user": user.email,
            "phone": call.phone,
            "blocked": blocked,
            "admin_url": admin_url,
        }
        _mail(address, _("A user reported an unexpected sign-in call"), body, None)


def _mail(to: str, subject: str, body: str, user) -> None:
    subject = f"[{settings.SITE_NAME}] {subject}"
    try:
        delivery.send_mail(to, subject, body, purpose="unexpected call report", user=user)
    except delivery.DeliveryFailed:
        logger.warning("could not send a report of an unexpected call")


def blocked_until(user_id, phone: str):
    """When the user's block on the number ends, if it is blocked now; else None."""
    if not phone or user_id is None:
        return None
    found = BlockedPhone.objects.filter(
        user_id=user_id, phone=phone, until__gt=timezone.now()
    ).first()
    return found.until if found else None


def blocked_phones(user) -> dict:
    """The user's blocked numbers and when each block ends (read once per request)."""
    if "_blocked_phones" not in user.__dict__:
        now = timezone.now()
        every = cache.of_user(
            user,
            "blocked_phones",
            lambda: list(BlockedPhone.objects.filter(user=user).values_list("phone", "until")),
        )
        user.__dict__["_blocked_phones"] = {phone: until for phone, until in every if until > now}
    return user.__dict__["_blocked_phones"]


def blocked_message(until) -> str:
    return _(
        "A call to this number was reported as unexpected, so it can't be used to verify you "
        "until %(until)s. Use another method, or ask your admin to unblock it."
    ) % {"until": format_date(timezone.localtime(until), "DATETIME_FORMAT")}


# The waiting page ---------------------------------------------------------------------------


def state_for_session(call_id: str) -> PhoneCall | None:
    return PhoneCall.objects.filter(pk=call_id).first() if call_id else None


def ended(call_id: str) -> bool:
    """Tell whether the call ended without being approved (so it may be placed again)."""
    return (
        bool(call_id)
        and PhoneCall.objects.filter(
            pk=call_id, state__in=[State.NO_ANSWER, State.BUSY, State.ENDED, State.FAILED]
        ).exists()
    )


def take_approval(call_id: str) -> bool:
    """Use the call's approval, once: tell whether it was approved (and not yet used or
    expired). The caller holds the id from its own session."""
    if not call_id:
        return False
    return bool(
        PhoneCall.objects.filter(
            pk=call_id, state=State.APPROVED, expires_at__gt=timezone.now()
        ).update(state=State.USED)
    )
