"""A local SMTP server on a loopback port (aiosmtpd): accepts every message and keeps it.

    with serve_fake_smtp(settings) as smtp:
        ...  # code that sends mail through settings.MAILERS["default"]
        assert smtp.messages[0]["To"] == "someone@example.com"

`smtp.refuse_next_recipient("550 5.1.1 ...")` answers the next RCPT TO with that reply instead
(a 5xx for an address the server rejects, a 4xx for one it cannot take now).

`refuse_smtp(settings)` points the mailer at a loopback port where nothing listens, so
every send fails the way a down mail server does (connection refused).

`FakeSMTP` is the same server for other processes to send to: it keeps its port across
`stop()` and `start()` (the mail server going down and coming back), and `fail_next()` makes
it answer the next messages with a temporary (4xx) or permanent (5xx) refusal.
"""

import email
import email.policy
import socket
import threading
from collections import deque
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused: list[str] = []  # the recipients answered with a refusal
        self._refusals: deque[str] = deque()
        self._lock = threading.Lock()

    def refuse_next_recipient(
        self, reply: str = "550 5.1.1 Recipient address rejected", *, times: int = 1
    ) -> None:
        """Answer the next `times` RCPT TO commands with `reply` (a 4xx or 5xx line)."""
        with self._lock:
            self._refusals.extend([reply] * times)

    async def handle_RCPT(  # noqa: N802 (the name aiosmtpd calls)
        self, server, session, envelope, address, rcpt_options
    ) -> str:
        with self._lock:
            refusal = self._refusals.popleft() if self._refusals else None
            if refusal:
                self.refused.append(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (the name aiosmtpd calls)
        self, server, session, envelope
    ) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


class _RefusingRecorder(_Recorder):
    """Records like _Recorder, but answers the next queued replies instead of accepting."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals: deque[str] = deque()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        with self.lock:
            refusal = self.refusals.popleft() if self.refusals else None
        if refusal:
            return refusal
        return await super().handle_DATA(server, session, envelope)


class FakeSMTP:
    """An SMTP server on a fixed loopback port that can go down and come back."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or _free_port()
        self._recorder = _RefusingRecorder()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self._recorder.messages

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> "FakeSMTP":
        self._controller = Controller(self._recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: later connections are refused, as by a mail server that is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_next(self, reply: str = "451 4.3.0 Try again later", *, times: int = 1) -> None:
        """Answer the next `times` messages with this reply instead of accepting them."""
        with self._recorder.lock:
            self._recorder.refusals.extend([reply] * times)

    def clear_faults(self) -> None:
        """Accept every message from now on."""
        with self._recorder.lock:
            self._recorder.refusals.clear()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _smtp_mailer(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@contextmanager
def serve_fake_smtp(settings):
    """Run the server for the duration and send the default mailer's mail to it."""
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = _smtp_mailer(controller.port)
    try:
        yield recorder
    finally:
        controller.stop()


def refuse_smtp(settings) -> None:
    settings.MAILERS = _smtp_mailer(_free_port())
