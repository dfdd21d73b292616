"""How messages reach people: codes and notices by text message, phone call and email.

Every send is first a Delivery row (portal.models): to whom, by which channel, the message
sealed with the field key (portal.crypto), and when to give up. A task carrying only the
row's id then makes an attempt. The page that asked reads the row, so it says what really
happened: waiting, sent, still trying, or failed and why.

An attempt that fails for a reason that passes (the provider unreachable, timing out,
answering 5xx or 429, the mail server down or answering 4xx) is tried again after a growing
delay (RETRY_DELAYS), until the row's deadline: a few minutes for a code, which expires soon
and whose owner is waiting, a day for a notice. A failure that will not pass (a number the
provider refuses, a mail address the server rejects, a channel that is not set up) ends it at
once. A delivery given up on is logged, stays on its admin page, gives back the rate-limit
counts it took, and is announced by the `delivery_failed` signal (the sign-in step settles
its attempt as "send failed").

With the inline backend (the default, for development and tests) the first attempt runs in
the request and there is no later one: a failure is known at once (DeliveryFailed). With a
queue backend the worker (`manage.py worker`) makes the attempts, on a queue per channel so a
hung provider holds up only its own kind of send, and sweeps up attempts cut short.

PHONE_BACKEND selects the phone provider: "console" (development: prints, and lists the
message on the DEBUG-only outbox page) or "twilio" (production).
"""

import json
import logging
import random
import smtplib
import sys
import uuid
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.mail import EmailMessage
from django.db import DatabaseError
from django.db.models import F
from django.dispatch import Signal
from django.tasks import TaskResultStatus, default_task_backend, task
from django.utils import timezone

from portal import crypto, ratelimits
from portal.models import Delivery

logger = logging.getLogger(__name__)

OUTBOX_CACHE_KEY = "portal:outbox"
OUTBOX_SIZE = 50

PHONE_QUEUE, MAIL_QUEUE = "phone", "mail"
QUEUES: dict[str, str] = {Delivery.Channel.TEXT: PHONE_QUEUE, Delivery.Channel.CALL: PHONE_QUEUE}

# Seconds between attempts: the first retry comes quickly (most outages are a blip), later
# ones back off so a provider coming back is not hammered. Each is spread by a fifth either
# way, so sends that failed together are not all retried in the same second.
# (A test stack may shorten them: DELIVERY_RETRY_DELAYS in settings.)
RETRY_DELAYS = tuple(
    getattr(settings, "DELIVERY_RETRY_DELAYS", (5, 15, 30, 60, 120, 300, 600, 1800, 3600))
)
# How long to keep trying: a code expires (10 minutes) and someone is waiting for it, so after
# a few minutes they are better told and choose another way; a notice waits out an outage.
CODE_RETRY_SECONDS = 5 * 60
NOTICE_RETRY_SECONDS = 24 * 60 * 60
# An attempt still "sending" this long after it started was cut short (the worker died): the
# longest attempt is bounded by the providers' timeouts (TWILIO_TIMEOUT, SMTP_TIMEOUT).
ATTEMPT_LEASE_SECONDS = getattr(settings, "DELIVERY_ATTEMPT_LEASE_SECONDS", 60)
# This session may read the state of the last few deliveries it asked for (see `remember`).
SESSION_KEY = "portal.deliveries"
REMEMBERED = 10

# Sent with `delivery` when a delivery is given up on.
delivery_failed = Signal()


class DeliveryFailed(Exception):
    """The message did not go out, and will not: `delivery` (if any) says why."""

    def __init__(self, delivery: Delivery | None = None, reason: str = "") -> None:
        super().__init__(reason or (delivery.reason if delivery else "not queued"))
        self.delivery = delivery


class PassingFailure(Exception):
    """The provider could not take the message now; a later attempt may get through."""


class LastingFailure(Exception):
    """The provider refused the message for a reason another attempt will not change."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


# Sending ---------------------------------------------------------------------------------


def send_text(to: str, body: str, **about) -> Delivery:
    """Text `body` to the number; see `_deliver` for `about` and what it returns or raises."""
    return _deliver(Delivery.Channel.TEXT, to, {"to": to, "body": body}, **about)


def place_call(
    to: str,
    words: str,
    extension: str = "",
    *,
    gather_url: str = "",
    closing: str = "",
    status_url: str = "",
    **about,
) -> Delivery:
    """Call the number (dialling the extension once answered) and read out `words`.

    With `gather_url`, the call listens for one key while it reads them and posts the key
    there (Twilio's <Gather>), whose answer says what comes next; `closing` is said when no key
    was pressed. `status_url` is told how the call ended (answered, busy, no answer, failed).
    """
    message = {"to": to, "words": words, "extension": extension}
    message |= {"gather_url": gather_url, "closing": closing, "status_url": status_url}
    return _deliver(Delivery.Channel.CALL, to, message, **about)


def send_mail(to: str, subject: str, body: str, **about) -> Delivery:
    """Email the address, the subject after the product's name ("[My Account] …",
    settings.EMAIL_SUBJECT_PREFIX); a notice (not a code) unless `about` says otherwise."""
    about.setdefault("retry_for", NOTICE_RETRY_SECONDS)
    message = {"to": to, "subject": f"{settings.EMAIL_SUBJECT_PREFIX}{subject}", "body": body}
    return _deliver(Delivery.Channel.MAIL, to, message, **about)


def _deliver(
    channel: str,
    recipient: str,
    message: dict[str, str],
    *,
    purpose: str = "",
    user=None,
    request=None,
    charges: list[str] | None = None,
    reference: str = "",
    retry_for: int = CODE_RETRY_SECONDS,
) -> Delivery:
    """Record the delivery and queue its first attempt; return the row.

    `purpose` names it for admins; `user` (an account or its id) is whose it is; `request` lets this session read its state afterwards;
    `charges` are rate-limit counts to give back if it fails (ratelimits.consume's answer);
    `reference` is handed to `delivery_failed` receivers. Raise DeliveryFailed when it failed
    for good already (the inline backend, a refusal) or could not be queued at all.
    """
    now = timezone.now()
    try:
        delivery = Delivery.objects.create(
            user_id=getattr(user, "pk", user),
            channel=channel,
            purpose=purpose,
            recipient=recipient[:254],
            reference=reference,
            sealed_message=crypto.encrypt(json.dumps(message)),
            charges=charges or [],
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + timedelta(seconds=retry_for),
        )
        _enqueue(delivery)
        delivery.refresh_from_db()  # the inline backend has made its attempt already
    except DatabaseError as e:  # nowhere to keep it: it cannot go out, and the page says so
        logger.error("could not queue a %s delivery: %s", channel, type(e).__name__)
        raise DeliveryFailed(reason="not queued") from e
    if request is not None:
        remember(request, delivery)
    if delivery.status == Delivery.Status.FAILED:
        raise DeliveryFailed(delivery)
    return delivery


def _enqueue(delivery: Delivery, run_after=None) -> None:
    work = deliver.using(queue_name=QUEUES.get(delivery.channel, MAIL_QUEUE))
    if run_after is not None:
        work = work.using(run_after=run_after)
    result = work.enqueue(str(delivery.pk))
    if result.status == TaskResultStatus.FAILED:  # only inline: the attempt itself broke
        errors = "; ".join(error.exception_class_path for error in result.errors)
        logger.error("delivery %s: the attempt raised %s", delivery.pk, errors)
        _give_up(delivery, Delivery.Reason.UNREACHABLE, errors[:200])


@task(queue_name=MAIL_QUEUE)
def deliver(delivery_id: str) -> None:
    """Make one attempt at the delivery (its id is all the task holds)."""
    attempt(delivery_id)


def attempt(delivery_id: str) -> None:
    """Try to send the delivery once, if it is due and nobody else is; then record how it went
    and, after a failure that may pass, queue the next attempt."""
    now = timezone.now()
    # Claimed by one conditional update, so two copies of the task cannot both send it.
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.QUEUED, next_attempt_at__lte=now
    ).update(status=Delivery.Status.SENDING, attempts=F("attempts") + 1, attempt_started_at=now)
    if not claimed:
        return
    delivery = Delivery.objects.get(pk=delivery_id)
    if delivery.give_up_at <= now:  # a code that waited out a worker outage has expired
        _give_up(delivery, Delivery.Reason.EXPIRED, "not sent in time")
        return
    try:
        _send(delivery)
    except LastingFailure as e:
        _give_up(delivery, e.reason, str(e))
    except PassingFailure as e:
        _retry_or_give_up(delivery, str(e))
    else:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.SENT,
            reason="",
            detail="",
            sealed_message="",  # the code has gone out: nothing of it is kept
            finished_at=timezone.now(),
        )


def _send(delivery: Delivery) -> None:
    """Hand the message to its provider; raise PassingFailure or LastingFailure if it fails."""
    try:
        message = json.loads(crypto.decrypt(delivery.sealed_message))
    except ValueError:  # its key is gone (rotated out): it can never be opened
        raise LastingFailure(
            Delivery.Reason.EXPIRED, "the message can no longer be opened"
        ) from None
    try:
        if delivery.channel == Delivery.Channel.MAIL:
            EmailMessage(
                subject=message["subject"], body=message["body"], to=[message["to"]]
            ).send()
        elif delivery.channel == Delivery.Channel.TEXT:
            phone_sender().send_text(message["to"], message["body"])
        else:
            phone_sender().place_call(
                message["to"],
                message["words"],
                message["extension"],
                gather_url=message.get("gather_url", ""),
                closing=message.get("closing", ""),
                status_url=message.get("status_url", ""),
            )
    except (PassingFailure, LastingFailure):
        raise
    except Exception as e:  # every provider error is sorted into one of the two
        raise classify(e) from e


def classify(error: Exception) -> PassingFailure | LastingFailure:
    """Tell a failure that may pass from one that will not, naming it without its message
    (which can quote the recipient or the body)."""
    from twilio.base.exceptions import TwilioRestException  # noqa: PLC0415 (slow to import)

    name = type(error).__name__
    if isinstance(error, TwilioRestException):
        detail = f"Twilio {error.status} (error {error.code})"
        if error.status == 429 or error.status >= 500:
            return PassingFailure(detail)
        if error.status in {401, 403, 404}:  # our credentials or account, not the number
            return LastingFailure(Delivery.Reason.NOT_CONFIGURED, detail)
        return LastingFailure(Delivery.Reason.REJECTED, detail)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _message in error.recipients.values()})
        detail = f"SMTP recipient refused ({', '.join(map(str, codes))})"
        if all(400 <= code < 500 for code in codes):
            return PassingFailure(detail)
        return LastingFailure(Delivery.Reason.REJECTED, detail)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return LastingFailure(Delivery.Reason.NOT_CONFIGURED, f"SMTP {error.smtp_code}")
    if isinstance(error, smtplib.SMTPResponseException):
        detail = f"SMTP {error.smtp_code}"
        if 400 <= error.smtp_code < 500:
            return PassingFailure(detail)
        return LastingFailure(Delivery.Reason.REJECTED, detail)
    if isinstance(error, PhonesOff):
        return LastingFailure(Delivery.Reason.NOT_CONFIGURED, str(error))
    # Refused, reset, timed out, disconnected: sockets, smtplib and requests (under Twilio's
    # client) all raise OSError for those.
    if isinstance(error, OSError):
        return PassingFailure(name)
    # Anything else is a fault of ours (a bug, a setting): trying again will not mend it.
    logger.exception("delivery failed unexpectedly", exc_info=error)
    return LastingFailure(Delivery.Reason.NOT_CONFIGURED, name)


def _retry_or_give_up(delivery: Delivery, detail: str) -> None:
    delay = RETRY_DELAYS[min(delivery.attempts, len(RETRY_DELAYS)) - 1]
    when = timezone.now() + timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311
    if not default_task_backend.supports_defer or when >= delivery.give_up_at:
        _give_up(delivery, Delivery.Reason.UNREACHABLE, detail)
        return
    logger.warning(
        "delivery %s: attempt %d failed (%s), trying again in %d s",
        delivery.pk,
        delivery.attempts,
        detail,
        delay,
    )
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.QUEUED,
        reason=Delivery.Reason.UNREACHABLE,
        detail=detail[:200],
        next_attempt_at=when,
    )
    # Should this fail too, the worker's sweep (recover) queues it again once it is overdue.
    _enqueue(delivery, run_after=when)


def _give_up(delivery: Delivery, reason: str, detail: str) -> None:
    """Stop trying: record why, forget the message, give back the counts, tell receivers."""
    changed = Delivery.objects.filter(
        pk=delivery.pk, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    ).update(
        status=Delivery.Status.FAILED,
        reason=reason,
        detail=detail[:200],
        sealed_message="",
        finished_at=timezone.now(),
    )
    if not changed:  # another attempt finished it meanwhile
        return
    delivery.refresh_from_db()
    logger.error(
        "delivery %s (%s, %s) failed after %d attempt(s): %s",
        delivery.pk,
        delivery.channel,
        delivery.purpose,
        delivery.attempts,
        delivery.detail or delivery.reason,
    )
    try:
        ratelimits.refund(delivery.charges)
    except ratelimits.LimitsUnavailable:
        logger.warning("delivery %s: could not give back its rate-limit counts", delivery.pk)
    delivery_failed.send(sender=Delivery, delivery=delivery)


def recover(now=None, has_task=None) -> int:
    """Put back in the queue what a dead worker or a lost task left behind; return how many.

    An attempt "sending" for longer than any attempt takes was cut short, and one "queued"
    long past its time may have lost its task. Each is queued again (its claim keeps a copy
    of the task from sending twice), or given up on when past its deadline. `has_task(id)`
    tells whether a task for the delivery still waits or runs: one that does is left alone,
    due time and all, so a queue nobody serves keeps looking overdue (worker.health).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=ATTEMPT_LEASE_SECONDS)
    stuck = Delivery.objects.filter(
        status=Delivery.Status.SENDING, attempt_started_at__lt=cutoff
    ) | Delivery.objects.filter(status=Delivery.Status.QUEUED, next_attempt_at__lt=cutoff)
    recovered = 0
    for delivery in stuck.order_by("next_attempt_at")[:500]:
        if delivery.give_up_at <= now:
            _give_up(delivery, Delivery.Reason.EXPIRED, delivery.detail or "ran out of time")
            continue
        if has_task is not None and has_task(delivery.pk):
            continue
        # Taken back only if nothing changed it meanwhile (an attempt may just have finished).
        # A queued one keeps its due time: it is as late as it was.
        due = now if delivery.status == Delivery.Status.SENDING else delivery.next_attempt_at
        taken = Delivery.objects.filter(
            pk=delivery.pk,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
        ).update(status=Delivery.Status.QUEUED, next_attempt_at=due)
        if taken:
            logger.warning("delivery %s: queued again after a lost attempt", delivery.pk)
            _enqueue(delivery)
            recovered += 1
    return recovered


# What this session may see ---------------------------------------------------------------


def remember(request, delivery: Delivery) -> None:
    """Let this session read the delivery's state (`for_session`)."""
    ids = [str(delivery.pk), *request.session.get(SESSION_KEY, [])]
    request.session[SESSION_KEY] = list(dict.fromkeys(ids))[:REMEMBERED]


def for_session(request, delivery_id) -> Delivery | None:
    """The delivery, if this session asked for it or it is the signed-in person's own; else
    None (another person's, or none at all)."""
    try:
        pk = uuid.UUID(str(delivery_id))
    except ValueError:
        return None
    if str(pk) in request.session.get(SESSION_KEY, []):
        return Delivery.objects.filter(pk=pk).first()
    if request.user.is_authenticated:
        return Delivery.objects.filter(pk=pk, user=request.user).first()
    return None


# Providers -------------------------------------------------------------------------------


class PhonesOff(Exception):
    """PHONE_BACKEND is "none": texts and calls cannot go out."""


class ConsoleSender:
    """Print messages and keep the last few for the development outbox page.

    It is the development phone, so it prints the whole message, as Django's console mail
    backend does: to standard output, never through logging, which production ships elsewhere.
    """

    def send_text(self, to: str, body: str) -> None:
        self._keep("text", to, body)

    def place_call(
        self,
        to: str,
        words: str,
        extension: str = "",
        *,
        gather_url: str = "",
        closing: str = "",
        status_url: str = "",
    ) -> None:
        # The outbox page offers the keys of a call that listens for one.
        self._keep("call", f"{to} ext. {extension}" if extension else to, words, gather_url)

    def _keep(self, channel: str, to: str, body: str, keys_url: str = "") -> None:
        sys.stdout.write(f"{channel} to {to}: {body}\n")
        outbox = django_cache.get(OUTBOX_CACHE_KEY, [])
        outbox.insert(
            0,
            {
                "channel": channel,
                "to": to,
                "body": body,
                "keys_url": keys_url,
                "at": timezone.now(),
            },
        )
        django_cache.set(OUTBOX_CACHE_KEY, outbox[:OUTBOX_SIZE], timeout=60 * 60)


GATHER_TIMEOUT = 10  # seconds a call waits for a key after reading its words


class TwilioSender:
    """Send through Twilio's Messages and Calls APIs with the official client."""

    def __init__(self) -> None:
        # Imported here: the Twilio library takes long to load, and only this backend needs it.
        from twilio.http.http_client import TwilioHttpClient  # noqa: PLC0415 (see above)
        from twilio.rest import Client  # noqa: PLC0415

        # A provider that hangs fails the send after TWILIO_TIMEOUT instead of holding on.
        http_client = TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT)
        if settings.TWILIO_API_BASE:
            from portal.twilio_http import LocalTwilioHttpClient  # noqa: PLC0415 (Twilio, see above)

            http_client = LocalTwilioHttpClient(
                settings.TWILIO_API_BASE, timeout=settings.TWILIO_TIMEOUT
            )
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )

    def send_text(self, to: str, body: str) -> None:
        self.client.messages.create(to=to, from_=settings.TWILIO_FROM_NUMBER, body=body)

    def place_call(
        self,
        to: str,
        words: str,
        extension: str = "",
        *,
        gather_url: str = "",
        closing: str = "",
        status_url: str = "",
    ) -> None:
        from twilio.twiml.voice_response import VoiceResponse  # noqa: PLC0415 (see __init__)

        twiml = VoiceResponse()
        if gather_url:
            # One key, posted as soon as it is pressed ("#" too: no key ends the input).
            gather = twiml.gather(
                action=gather_url,
                method="POST",
                input="dtmf",
                num_digits=1,
                finish_on_key="",
                timeout=GATHER_TIMEOUT,
            )
            gather.say(words, loop=2)
            if closing:
                twiml.say(closing)
        else:
            twiml.say(words, loop=2)  # read twice: people reach for a pen after the first time
        options: dict = {}
        if extension:
            # "w" waits half a second: let the switchboard answer before dialling it.
            options["send_digits"] = f"wwww{extension}"
        if status_url:
            # Every way a call ends (completed, busy, no-answer, failed, canceled) is posted
            # with the "completed" event.
            options |= {"status_callback": status_url, "status_callback_method": "POST"}
        self.client.calls.create(
            to=to, from_=settings.TWILIO_FROM_NUMBER, twiml=str(twiml), **options
        )


@cache
def _sender(backend: str):
    if backend == "twilio":
        return TwilioSender()
    if backend == "console":
        return ConsoleSender()
    raise PhonesOff("phone methods are turned off (PHONE_BACKEND=none)")


def phone_sender():
    return _sender(settings.PHONE_BACKEND)


def recent_outbox() -> list[dict]:
    return django_cache.get(OUTBOX_CACHE_KEY, [])
