"""The production stack the fault suite breaks, run on 127.0.0.1 from the test process.

Two gunicorn app servers ("a" and "b") share one PostgreSQL database and one Redis db, as two
hosts behind a load balancer would; `manage.py worker` sends what they queue; Twilio and the
mail server are fakes (tests/fakes) in this process, on fixed ports so that they can go away
and come back. Every process runs in its own process group with its output in a log file, and
`Stack.stop()` ends them all (TERM, then KILL after a grace period), whatever happened.

Settings are what production sets (DEBUG=0 and all it requires: SECRET_KEY,
FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS, SMTP_HOST, PHONE_BACKEND=twilio), over plain HTTP
(SECURE_COOKIES=0, SECURE_SSL_REDIRECT=0). With DEBUG off, WhiteNoise serves the static files
through a manifest, which `{% static %}` needs: collectstatic fills a temporary VAR_DIR first.
The delivery timing is shortened through the environment (DELIVERY_RETRY_DELAYS and the
others, see myaccount/settings.py), so an outage and its recovery fit in seconds.
"""

import contextlib
import ctypes
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from psycopg.rows import dict_row

from tests.fakes.smtp import FakeSMTP
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio
from tests.faults.browser import Browser

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv running the suite (gunicorn is beside it)

# Shortened for the stack (production: 5, 15, 30, 60… s; 60 s; 15 s; 10 s): a failed attempt
# is tried again within seconds, an attempt cut short is taken back after LEASE seconds.
RETRY_DELAYS = "1,1.5,2,3"
LEASE_SECONDS = 6
SWEEP_SECONDS = 2
TWILIO_TIMEOUT = 2
SMTP_TIMEOUT = 2
WORKER_INTERVAL = 0.2  # seconds between a worker's looks at an empty queue

# A gunicorn access log line: … "GET /path HTTP/1.1" 200 1234 …
_ACCESS = re.compile(r'"(?P<request>[A-Z]+ \S+ HTTP/[\d.]+)" (?P<status>\d{3}) ')

START_SECONDS = 60  # for a process to answer after it is started
STOP_SECONDS = 10  # for a process to end after TERM, before it is killed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.1):
    """Poll until `condition()` is truthy and return it; fail naming `what` past `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if result := condition():
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Process:
    """One process of the stack, alone in its process group, its output in `log`."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603 (our own interpreter and commands)
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopping it reaches its children
                preexec_fn=_end_with_parent,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        assert self.alive, f"{self.name} is not running"
        os.kill(self.pid, signum)

    def stop(self) -> None:
        """TERM the group, wait, then KILL what is left of it (children included)."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):  # a child that outlived its parent
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_SECONDS)

    def children(self) -> list[int]:
        """The process ids of its children (read from /proc)."""
        return children_of(self.pid)

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        try:
            with self.log.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _end_with_parent() -> None:
    """In the child, before it runs: be sent TERM should the suite's process die (killed, so
    without its finalizers), so that nothing of the stack outlives it (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return sorted(found)


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class AppServer:
    name: str
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Database:
    """The stack's PostgreSQL database, read (and its connections killed) by the tests."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = urllib.parse.urlsplit(url).path.lstrip("/")

    def rows(self, query: str, *params) -> list[dict]:
        with psycopg.connect(
            self.url, autocommit=True, connect_timeout=5, row_factory=dict_row
        ) as connection:
            return connection.execute(query, params).fetchall()

    def execute(self, query: str, *params) -> None:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(query, params)

    # What the portal left -------------------------------------------------------------------

    def deliveries(self, recipient: str) -> list[dict]:
        return self.rows(
            "SELECT * FROM portal_delivery WHERE lower(recipient) = lower(%s) ORDER BY created_at",
            recipient,
        )

    def delivery(self, recipient: str) -> dict:
        """The one delivery to `recipient`."""
        found = self.deliveries(recipient)
        assert len(found) == 1, f"expected one delivery to {recipient}, found {found}"
        return found[0]

    def tasks(self, delivery_id) -> list[dict]:
        """The task rows (django-tasks-db) of the attempts at a delivery, oldest first."""
        return self.rows(
            "SELECT * FROM django_tasks_database_dbtaskresult"
            " WHERE args_kwargs -> 'args' ->> 0 = %s ORDER BY enqueued_at",
            str(delivery_id),
        )

    def running_tasks(self) -> list[dict]:
        return self.rows(
            "SELECT * FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
        )

    def sign_ins(self, email: str) -> list[dict]:
        return self.rows(
            "SELECT * FROM signins_signinevent WHERE lower(email) = lower(%s) ORDER BY id", email
        )

    def heartbeats(self) -> list[dict]:
        return self.rows(
            "SELECT *, now() - seen_at AS age FROM portal_workerheartbeat ORDER BY seen_at"
        )

    def terminate_connections(self) -> int:
        """Kill every connection to the stack's database but this one; return how many."""
        killed = self.rows(
            "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            self.name,
        )
        return sum(1 for row in killed if row["killed"])


class Stack:
    """Start with `start()`; `stop()` always ends everything it started."""

    def __init__(self, tmp: Path, server_url: str, redis_url: str) -> None:
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        (tmp / "home").mkdir(exist_ok=True)
        parts = urllib.parse.urlsplit(server_url)
        self.database_name = f"faults_stack_{os.getpid()}"
        self.admin_url = parts._replace(path="/postgres").geturl()
        self.database_url = parts._replace(path=f"/{self.database_name}").geturl()
        self.redis_url = redis_url
        self.db = Database(self.database_url)
        self.twilio = FakeTwilio(port=free_port())
        self.smtp = FakeSMTP()
        self.servers: dict[str, AppServer] = {}
        self.worker: Process | None = None
        self.processes: list[Process] = []
        self.users: dict[str, list[dict]] = {}
        self._created_database = False
        self.secret_key, self.field_key = secrets.token_urlsafe(40), secrets.token_urlsafe(40)
        self._ips = (f"10.{n // 250}.{n % 250}.{1 + n % 200}" for n in range(1, 60000))

    # Settings ---------------------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment every process of the stack gets (what production would set)."""
        keep = {"PATH", "LANG", "LC_ALL", "TMPDIR"}
        env = {name: value for name, value in os.environ.items() if name in keep}
        env.update(
            {
                "HOME": str(self.tmp / "home"),  # nothing of the stack lands in the real one
                "DJANGO_SETTINGS_MODULE": "myaccount.settings",
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "NO_PROXY": "127.0.0.1,localhost",
                "DEBUG": "0",
                "SECRET_KEY": self.secret_key,
                "FIELD_ENCRYPTION_KEY": self.field_key,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": self.database_url,
                "DATABASE_CONNECT_TIMEOUT": "3",
                "REDIS_URL": self.redis_url,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(self.smtp.port),
                "SMTP_SECURITY": "none",
                "SMTP_TIMEOUT": str(SMTP_TIMEOUT),
                "DEFAULT_FROM_EMAIL": "My Account <no-reply@faults.example>",
                "PHONE_BACKEND": "twilio",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": FROM_NUMBER,
                "TWILIO_API_BASE": self.twilio.base_url,
                "TWILIO_TIMEOUT": str(TWILIO_TIMEOUT),
                "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                "DELIVERY_RETRY_DELAYS": RETRY_DELAYS,
                "DELIVERY_ATTEMPT_LEASE_SECONDS": str(LEASE_SECONDS),
                "WORKER_SWEEP_SECONDS": str(SWEEP_SECONDS),
                # Plain HTTP on loopback: no Secure cookies, no redirect to https, no HSTS.
                "SECURE_COOKIES": "0",
                "SECURE_SSL_REDIRECT": "0",
                "SECURE_HSTS_SECONDS": "0",
                # Each test's browser comes from its own address (X-Forwarded-For), as people
                # behind a load balancer do, so the per-address limits do not add up across
                # the suite.
                "TRUSTED_PROXY_COUNT": "1",
                "VAR_DIR": str(self.tmp / "var"),
                "LOG_LEVEL": "INFO",
            }
        )
        env.update(overrides)
        return env

    # Starting and stopping --------------------------------------------------------------------

    def start(self) -> None:
        self._create_database()
        with contextlib.suppress(Exception):
            _flush_redis(self.redis_url)
        self.twilio.start()
        self.smtp.start()
        migrate = self.process("migrate", [sys.executable, "manage.py", "migrate", "--no-input"])
        static = self.process(
            "collectstatic", [sys.executable, "manage.py", "collectstatic", "--no-input"]
        )
        for step in (migrate, static):
            step.start()
        for step in (migrate, static):
            assert step.popen is not None
            try:
                code = step.popen.wait(timeout=120)
            except subprocess.TimeoutExpired:
                code = None
            assert code == 0, f"{step.name} failed ({code}):\n{step.tail()}"
        seeding = self._start_seeding()  # while the servers start
        for name in ("a", "b"):
            self.start_app_server(name, wait=False)
        self.worker = self.process(
            "worker",
            [sys.executable, "manage.py", "worker", f"--interval={WORKER_INTERVAL}"],
        ).start()
        self.users = self._seeded(seeding)
        for server in self.servers.values():
            self.wait_until_serving(server)
        self.wait_until_worker_healthy()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.twilio.stop()
        self.smtp.stop()
        with contextlib.suppress(Exception):
            _flush_redis(self.redis_url)
        if self._created_database:
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    def _create_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.database_name}"')
        self._created_database = True

    def process(self, name: str, argv: list[str], **env: str) -> Process:
        process = Process(name, argv, self.env(**env), self.logs / f"{name}.log")
        self.processes.append(process)
        return process

    def start_app_server(self, name: str, *, wait: bool = True, **env: str) -> AppServer:
        """Start `gunicorn --preload -w 2` on a free port, with the stack's settings (and
        `env` over them)."""
        port = free_port()
        gunicorn = [
            str(BIN / "gunicorn"),
            "myaccount.wsgi",
            "--preload",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            # gunicorn 25+ opens a control socket under ~/.gunicorn/ by default: one path for
            # every server of the stack, so each would take over the others'.
            "--no-control-socket",
        ]
        server = AppServer(name, port, self.process(f"gunicorn-{name}", gunicorn, **env).start())
        self.servers[name] = server
        if wait:
            self.wait_until_serving(server, status=None)
        return server

    def wait_until_serving(self, server: AppServer, status: int | None = 200) -> None:
        """Until /health/ answers (with `status`, unless None: any answer will do)."""
        probe = Browser(server.url, ip="127.0.0.1")

        def answers() -> bool:
            assert server.process.alive, f"{server.name} exited:\n{server.process.tail()}"
            try:
                page = probe.get("/health/", timeout=2)
            except OSError:
                return False
            return status is None or page.status == status

        wait_for(answers, START_SECONDS, f"app server {server.name} to answer /health/", 0.2)

    def wait_until_worker_healthy(self, timeout: float = START_SECONDS) -> None:
        probe = self.browser()

        def healthy() -> bool:
            assert self.worker is not None
            assert self.worker.alive, f"the worker exited:\n{self.worker.tail()}"
            return probe.get("/health/worker/", timeout=5).status == 200

        wait_for(healthy, timeout, "/health/worker/ to answer 200", 0.2)

    # Helpers for the tests --------------------------------------------------------------------

    @property
    def a(self) -> AppServer:
        return self.servers["a"]

    @property
    def b(self) -> AppServer:
        return self.servers["b"]

    def browser(self, server: AppServer | None = None) -> Browser:
        """A new browser (its own cookies, its own client address), on server a by default."""
        return Browser((server or self.a).url, ip=next(self._ips))

    def take_user(self, kind: str) -> dict:
        """A user of this kind nobody used yet in this run (see tests/faults/seed.py)."""
        assert self.users.get(kind), f"no {kind} user left: seed more in conftest.SEED"
        return self.users[kind].pop(0)

    def worker_child(self, queue: str) -> int:
        """The process id of the worker child serving `queue`."""
        assert self.worker is not None
        found = [pid for pid in self.worker.children() if f"--queues={queue}" in command_line(pid)]
        assert len(found) == 1, f"expected one worker child for {queue}, found {found}"
        return found[0]

    def _start_seeding(self) -> subprocess.Popen:
        """Create the suite's users (tests/faults/seed.py) in the stack's database."""
        from tests.faults.seed import SPEC  # noqa: PLC0415 (the spec lives with the seeder)

        return subprocess.Popen(  # noqa: S603 (our interpreter, our script, our spec)
            [sys.executable, "-c", "from tests.faults.seed import main; main()", json.dumps(SPEC)],
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_end_with_parent,
        )

    def _seeded(self, seeding: subprocess.Popen) -> dict[str, list[dict]]:
        try:
            out, err = seeding.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            seeding.kill()
            out, err = seeding.communicate()
        assert seeding.returncode == 0, f"seeding failed:\n{err[-3000:]}"
        return json.loads(out.strip().splitlines()[-1])

    def log_marks(self) -> dict[str, int]:
        """Where each app server's access log ends now (see `server_errors_since`)."""
        return {server.name: server.process.log_size() for server in self.servers.values()}

    def server_errors_since(self, marks: dict[str, int]) -> list[str]:
        """The requests answered with a 5xx other than 503 (the portal's "temporarily
        unavailable" and health answers) since `marks`, on every app server."""
        errors = []
        for server in self.servers.values():
            for line in server.process.log_since(marks.get(server.name, 0)).splitlines():
                match = _ACCESS.search(line)
                if match and match["status"].startswith("5") and match["status"] != "503":
                    errors.append(f"{server.name}: {match['request']} -> {match['status']}")
        return errors

    def logs_tail(self, lines: int = 30) -> str:
        return "\n".join(
            f"----- {process.name} (pid {process.pid if process.popen else '-'}) -----\n"
            f"{process.tail(lines)}"
            for process in self.processes
            if process.name not in {"migrate", "collectstatic"}
        )


def _flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()
