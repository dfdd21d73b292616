"""A local Twilio: the Messages and Calls endpoints of the REST API, on a loopback port.

It speaks Twilio's wire format (form-encoded POSTs with HTTP Basic auth in, Twilio-shaped JSON
out), so the official client runs unchanged against it. Each request is recorded for
assertions, and the next requests can be made to fail with a Twilio error body.

    with serve_fake_twilio(settings, monkeypatch) as twilio:
        ...  # code that sends through security_info.delivery
        assert twilio.messages[0]["To"] == "+447400123456"

A call whose TwiML listens for a key (<Gather action=…>) can then be answered from the test:
`twilio.press("#")` posts the key to the action URL, `twilio.end("no-answer")` the call's
status callback, each signed (X-Twilio-Signature) with the fake's auth token, as Twilio would.

A fake started on its own (`FakeTwilio(port=...).start()`) keeps its port across `stop()` and
`start()`, so a stack of processes pointed at it sees Twilio go away and come back. The next
requests can also be made to hang (`hang_next`); a hung request whose caller gave up waiting
(timed out, or died) is recorded as abandoned (status 0), not as a message Twilio accepted.
"""

import base64
import json
import re
import secrets
import select
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from portal.delivery import _sender

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+15005550006"  # Twilio's magic "always succeeds" sender

_RESOURCE = re.compile(
    r"^/api/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})/(?P<kind>Messages|Calls)\.json$"
)
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


def twilio_error(status: int, code: int, message: str) -> dict:
    """Return an error body the way Twilio writes it."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def invalid_to_number(to: str = "") -> tuple[int, dict]:
    return 400, twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")


@dataclass
class PlacedCall:
    """A call Twilio accepted, with where it would post a key and its end."""

    sid: str
    account_sid: str
    to: str
    from_: str
    gather_url: str
    status_url: str

    def form(self, status: str) -> dict[str, str]:
        """The fields Twilio posts about this call in every callback."""
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": status,
            "Called": self.to,
            "Caller": self.from_,
            "Direction": "outbound-api",
            "From": self.from_,
            "To": self.to,
        }


def _gather_of(twiml: str):
    """The <Gather> element of a call's TwiML, or None."""
    if not twiml:
        return None
    try:
        return ElementTree.fromstring(twiml).find("Gather")  # noqa: S314 (our own TwiML)
    except ElementTree.ParseError:
        return None


@dataclass
class RecordedRequest:
    method: str
    path: str
    kind: str  # "Messages", "Calls", or "" for an unknown resource
    form: dict[str, str]
    authorization: tuple[str, str] | None  # (username, password) from HTTP Basic auth
    status: int


ABANDONED = 0  # the status recorded for a hung request whose caller hung up first


class FakeTwilio:
    def __init__(
        self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, *, port: int = 0
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.port = port  # 0: any free port, kept from the first start on
        self.requests: list[RecordedRequest] = []
        self.placed: list[PlacedCall] = []
        self._failures: deque[tuple[int, dict]] = deque()
        self._hangs: deque[float] = deque()
        self.hang_seconds = 0.0  # how long every answer waits, to stand for a hung provider
        self.arrived = 0  # requests that reached the server, answered yet or not
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Control ---------------------------------------------------------------------------------

    def start(self) -> "FakeTwilio":
        """Listen (again) on the fake's port: the first start picks one when none was given."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down: later requests find nothing listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, status: int = 400, body: dict | None = None, *, times: int = 1) -> None:
        """Answer the next `times` authenticated requests with this error (default: 21211)."""
        body = body or invalid_to_number()[1]
        with self._lock:
            self._failures.extend([(status, body)] * times)

    def answer_normally(self) -> None:
        """Forget the errors still to come: the provider is back."""
        with self._lock:
            self._failures.clear()

    def hang_next(self, seconds: float, *, times: int = 1) -> None:
        """Make the next `times` requests wait `seconds` before they are answered. One whose
        caller has hung up by then is recorded as abandoned: no message goes out."""
        with self._lock:
            self._hangs.extend([seconds] * times)

    def clear_faults(self) -> None:
        """Answer normally from now on: no failures or hangs left queued, no hang_seconds."""
        with self._lock:
            self._failures.clear()
            self._hangs.clear()
        self.hang_seconds = 0.0

    # Calls that listen for a key -------------------------------------------------------------

    def press(self, digits: str, *, call: int = -1, post=None) -> tuple[int, str]:
        """Press keys on a placed call: post Digits to its <Gather> action as Twilio does,
        signed with the fake's auth token. `post(url, form, signature)` sends it (default:
        over HTTP); return its (status, body)."""
        placed = self.placed[call]
        assert placed.gather_url, "the call's TwiML has no <Gather action>"
        form = placed.form("in-progress") | {"Digits": digits, "FinishedOnKey": ""}
        return self.callback(placed.gather_url, form, post)

    def end(self, status: str = "completed", *, call: int = -1, post=None) -> tuple[int, str]:
        """End a placed call ("completed", "busy", "no-answer", "failed"): post its status
        callback as Twilio does."""
        placed = self.placed[call]
        assert placed.status_url, "the call was placed without a StatusCallback"
        form = placed.form(status) | {"CallDuration": "12" if status == "completed" else "0"}
        return self.callback(placed.status_url, form, post)

    def signature(self, url: str, form: dict) -> str:
        """X-Twilio-Signature for a request to `url` with `form`, as Twilio computes it."""
        return RequestValidator(self.auth_token).compute_signature(url, form)

    def callback(self, url: str, form: dict, post=None) -> tuple[int, str]:
        signature = self.signature(url, form)
        if post is not None:
            return post(url, form, signature)
        request = urllib.request.Request(  # noqa: S310 (a loopback test server)
            url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    # What arrived ----------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, str]]:
        """The form of every text message Twilio accepted, oldest first."""
        return self._accepted("Messages")

    @property
    def calls(self) -> list[dict[str, str]]:
        return self._accepted("Calls")

    def _accepted(self, kind: str) -> list[dict[str, str]]:
        with self._lock:
            return [r.form for r in self.requests if r.kind == kind and r.status == 201]

    # Answering -------------------------------------------------------------------------------

    def _arrive(self) -> float:
        """Count a request in; return how long it is to wait before its answer."""
        with self._lock:
            self.arrived += 1
            return self._hangs.popleft() if self._hangs else self.hang_seconds

    def answer(
        self, method: str, path: str, headers, body: bytes, *, abandoned: bool = False
    ) -> tuple[int, dict]:
        form = {
            k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()
        }
        authorization = _basic_auth(headers.get("Authorization", ""))
        match = _RESOURCE.match(urllib.parse.urlsplit(path).path)
        if abandoned:
            status, payload = ABANDONED, {}
        else:
            status, payload = self._response(method, match, form, authorization)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method, path, match["kind"] if match else "", form, authorization, status
                )
            )
        return status, payload

    def _response(self, method, match, form, authorization) -> tuple[int, dict]:
        if authorization != (self.account_sid, self.auth_token):
            return 401, twilio_error(401, 20003, "Authenticate")
        if match is None or match["account"] != self.account_sid:
            return 404, twilio_error(404, 20404, "The requested resource was not found")
        if method != "POST":
            return 405, twilio_error(405, 20004, "Method not allowed")
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure:
            return failure
        if not _E164.match(form.get("To", "")):
            return invalid_to_number(form.get("To", ""))
        if match["kind"] == "Messages":
            if not form.get("Body"):
                return 400, twilio_error(400, 21602, "Message body is required.")
            return 201, self._message(form)
        if not (form.get("Twiml") or form.get("Url")):
            return 400, twilio_error(400, 21205, "Url parameter is required.")
        return 201, self._call(form)

    def _resource(self, prefix: str, kind: str, form: dict) -> dict:
        sid = prefix + uuid.uuid4().hex
        now = formatdate(usegmt=False)
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{kind}/{sid}.json",
        }

    def _message(self, form: dict) -> dict:
        return self._resource("SM", "Messages", form) | {
            "body": form["Body"],
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_segments": "1",
            "num_media": "0",
            "date_sent": None,
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
        }

    def _call(self, form: dict) -> dict:
        resource = self._resource("CA", "Calls", form)
        gather = _gather_of(form.get("Twiml", ""))
        with self._lock:
            self.placed.append(
                PlacedCall(
                    sid=resource["sid"],
                    account_sid=self.account_sid,
                    to=form["To"],
                    from_=form.get("From", ""),
                    gather_url=gather.get("action", "") if gather is not None else "",
                    status_url=form.get("StatusCallback", ""),
                )
            )
        return resource | {
            "to_formatted": form["To"],
            "from_formatted": form.get("From"),
            "parent_call_sid": None,
            "phone_number_sid": "PN" + secrets.token_hex(16),
            "start_time": None,
            "end_time": None,
            "duration": None,
            "price": None,
            "price_unit": "USD",
        }


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _sep, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _sep, password = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return None
    return username, password


def _handler_for(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            hang = fake._arrive()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            time.sleep(hang)
            abandoned = hang > 0 and _hung_up(self.connection)
            status, payload = fake.answer(
                self.command, self.path, self.headers, body, abandoned=abandoned
            )
            if abandoned:
                self.close_connection = True
                return
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # keep test output quiet
            pass

    return Handler


def _hung_up(connection: socket.socket) -> bool:
    """Whether the caller closed its end (nothing more to read, and the read says so)."""
    try:
        readable, _w, _x = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:  # reset by the peer
        return True


@contextmanager
def serve_fake_twilio(settings, monkeypatch):
    """Run a fake Twilio and point the portal's Twilio sender at it for the duration."""

    fake = FakeTwilio().start()
    settings.PHONE_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = fake.account_sid
    settings.TWILIO_AUTH_TOKEN = fake.auth_token
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_API_BASE = fake.base_url
    # A proxy configured in the environment must not carry loopback traffic elsewhere.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    _sender.cache_clear()  # the sender is built once per backend, with the settings of then
    try:
        yield fake
    finally:
        _sender.cache_clear()
        fake.stop()
