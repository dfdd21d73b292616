"""How one-time codes reach people: text messages, phone calls and email.

Sending goes through Django's tasks framework. With the immediate backend (the default) a
provider failure is known at once and raised as DeliveryFailed, so the page can say so and
nothing is registered; with a queue backend the task runs in the worker, and a failure there
is not seen by the page that queued it.

A queued task is kept as a row (with django-tasks-db, args and result in the database and on
its admin page), so a task never carries a code: its one argument is the message sealed with
the field key (portal.crypto), opened only by the worker that sends it, and it returns
nothing. Nor does any log line hold a body.

PHONE_BACKEND selects the provider: "console" (development: prints, and lists the message on
the DEBUG-only outbox page) or "twilio" (production).
"""

import json
import logging
import sys
from functools import cache

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.mail import EmailMessage
from django.tasks import TaskResultStatus, task
from django.utils import timezone

from portal import crypto

logger = logging.getLogger(__name__)

OUTBOX_CACHE_KEY = "portal:outbox"
OUTBOX_SIZE = 50
# A message still queued after this long is dropped: the code in it has long expired, and the
# key that sealed it may be gone (keys rotate). Generous, so a notice outlives a worker outage.
MAX_QUEUED_SECONDS = 24 * 60 * 60


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the code did not go out."""


class StaleMessage(Exception):
    """The worker cannot open a queued message: it waited too long or its key is gone."""


class ConsoleSender:
    """Print messages and keep the last few for the development outbox page.

    It is the development phone, so it prints the whole message, as Django's console mail
    backend does: to standard output, never through logging, which production ships elsewhere.
    """

    def send_text(self, to: str, body: str) -> None:
        self._keep("text", to, body)

    def place_call(self, to: str, words: str, extension: str = "") -> None:
        self._keep("call", f"{to} ext. {extension}" if extension else to, words)

    def _keep(self, channel: str, to: str, body: str) -> None:
        sys.stdout.write(f"{channel} to {to}: {body}\n")
        outbox = django_cache.get(OUTBOX_CACHE_KEY, [])
        outbox.insert(0, {"channel": channel, "to": to, "body": body, "at": timezone.now()})
        django_cache.set(OUTBOX_CACHE_KEY, outbox[:OUTBOX_SIZE], timeout=60 * 60)


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

    def place_call(self, to: str, words: str, extension: str = "") -> None:
        from twilio.twiml.voice_response import VoiceResponse  # noqa: PLC0415 (see __init__)

        twiml = VoiceResponse()
        twiml.say(words, loop=2)  # read twice: people reach for a pen after the first time
        # "w" waits half a second: let the switchboard answer before dialling the extension.
        dial = {"send_digits": f"wwww{extension}"} if extension else {}
        self.client.calls.create(to=to, from_=settings.TWILIO_FROM_NUMBER, twiml=str(twiml), **dial)


@cache
def _sender(backend: str):
    if backend == "twilio":
        return TwilioSender()
    if backend == "console":
        return ConsoleSender()
    raise DeliveryFailed("phone methods are turned off (PHONE_BACKEND=none)")


def phone_sender():
    return _sender(settings.PHONE_BACKEND)


def _seal(**message: str) -> str:
    return crypto.encrypt(json.dumps(message))


def _unseal(sealed: str) -> dict[str, str]:
    try:
        return json.loads(crypto.decrypt(sealed, max_age=MAX_QUEUED_SECONDS))
    except ValueError as e:  # the reason names neither the message nor its key
        logger.warning("dropped a queued message: %s", e)
        raise StaleMessage(str(e)) from None


@task
def send_text_task(sealed: str) -> None:
    message = _unseal(sealed)
    phone_sender().send_text(message["to"], message["body"])


@task
def place_call_task(sealed: str) -> None:
    message = _unseal(sealed)
    phone_sender().place_call(message["to"], message["words"], message["extension"])


@task
def send_mail_task(sealed: str) -> None:
    message = _unseal(sealed)
    EmailMessage(subject=message["subject"], body=message["body"], to=[message["to"]]).send()


def _run(task_function, **message: str) -> None:
    """Queue the task with the message sealed; raise DeliveryFailed if it failed at once."""
    try:
        result = task_function.enqueue(_seal(**message))
    except Exception as e:  # a queue that cannot take the task is a failed delivery too
        raise DeliveryFailed(str(e)) from e
    if result.status == TaskResultStatus.FAILED:
        errors = "; ".join(error.exception_class_path for error in result.errors)
        logger.warning("delivery failed: %s", errors)
        raise DeliveryFailed(errors)


def send_text(to: str, body: str) -> None:
    _run(send_text_task, to=to, body=body)


def place_call(to: str, words: str, extension: str = "") -> None:
    _run(place_call_task, to=to, words=words, extension=extension)


def send_mail(to: str, subject: str, body: str) -> None:
    _run(send_mail_task, to=to, subject=subject, body=body)


def recent_outbox() -> list[dict]:
    return django_cache.get(OUTBOX_CACHE_KEY, [])
