"""bench_pages.py --serve: the pages under gunicorn and a load generator, beside allauth's.

Two gunicorn servers (sync workers, WORKERS each, on free ports of 127.0.0.1) run
tests/benchmarks/serve_wsgi.py: one the portal on the bench database, one the allauth anchor
project (tests/benchmarks/anchor/) on its own. Each is signed into for real over HTTP
(password, then a TOTP code), and in every round each target gets `seconds` of wrk load
(-t2 -c8), ours and its anchor one after the other. A target's throughput is wrk's requests/s;
its server CPU per request is the workers' CPU time (utime + stime, /proc) over the run,
divided by the requests wrk made. The report takes the median of each over the rounds.

Without wrk, a small Python load generator (threads, one connection each) stands in, and the
report says so. Any response other than 200 makes the target broken. Both servers are stopped
(their process groups) whatever happens.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pyotp

from tests.benchmarks.anchor.prepare import ANCHOR_EMAIL, ANCHOR_PASSWORD, ANCHOR_TOTP_SECRET
from tests.benchmarks.bare import BARE_PATH

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "bench"
HOST = "127.0.0.1"
WORKERS = 2
WRK = "/usr/bin/wrk"
WRK_THREADS = 2
WRK_CONNECTIONS = 8
STATUS_SCRIPT = Path(__file__).with_name("count_statuses.lua")
START_TIMEOUT = 60  # seconds for a server to answer after it is started
STOP_TIMEOUT = 10  # seconds for a server to stop after SIGTERM, before SIGKILL
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OURS_SETTINGS = "myaccount.settings"
ANCHOR_SETTINGS = "tests.benchmarks.anchor.settings"
ANCHOR_LOGIN_URL = "/accounts/login/"
ANCHOR_2FA_URL = "/accounts/2fa/authenticate/"
# Each portal page and its django-allauth counterpart; the bare pages anchor each other.
ANCHOR_PAGES = {
    "portal:overview": "/accounts/email/",
    "security_info:index": "/accounts/2fa/",
    "password:change": "/accounts/password/change/",
}
CAPACITY_GOAL = 0.6  # the Overview's capacity against the bare page


class Broken(Exception):
    """A server could not be started or signed into, or a page answered other than 200."""


@dataclass
class Server:
    """A running gunicorn, and the session cookie of the user signed into it."""

    name: str
    port: int
    process: subprocess.Popen
    cookie: str = ""
    signed_in_at: float = 0.0


@dataclass
class Target:
    """One URL loaded in every round, signed in or not; `runs` holds its (rps, CPU ms/req)."""

    what: str
    server: Server
    path: str
    signed_in: bool = True
    runs: list[tuple[float, float]] = field(default_factory=list)
    broken: str = ""

    @property
    def rps(self) -> float | None:
        return statistics.median(r for r, _ in self.runs) if self.runs else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(c for _, c in self.runs) if self.runs else None


# --- the servers ----------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on HOST that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(name: str, settings_module: str, database_url: str) -> Iterator[Server]:
    """Run serve_wsgi.py under gunicorn for `settings_module`; stop its process group after."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"gunicorn-{name}.log").open("w")
    command = [
        *(sys.executable, "-m", "gunicorn", "--worker-class", "sync", "--workers", str(WORKERS)),
        *("--bind", f"{HOST}:{port}", "--chdir", str(ROOT), "--graceful-timeout", "5"),
        "tests.benchmarks.serve_wsgi:application",
    ]
    process = subprocess.Popen(  # noqa: S603 (our own command line, no input in it)
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        server = Server(name, port, process)
        wait_until_up(server, log.name)
        yield server
    finally:
        stop(process)
        log.close()


def wait_until_up(server: Server, log: str) -> None:
    """Wait until the server answers (anything), or raise Broken if it died or never did."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise Broken(f"{server.name}: gunicorn exited with {server.process.returncode} ({log})")
        try:
            Browser(server.port).request("GET", BARE_PATH)
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise Broken(f"{server.name}: gunicorn did not answer within {START_TIMEOUT} s ({log})")


def stop(process: subprocess.Popen) -> None:
    """Stop a gunicorn we started: SIGTERM to its process group, SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, STOP_TIMEOUT)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


def worker_cpu_seconds(master: int) -> float:
    """Return the CPU time (user + system) the master's worker processes have used so far."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == master:  # fields[1] is the parent; 11 and 12 utime and stime
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


# --- signing in over HTTP -------------------------------------------------------------------


class Browser:
    """A small HTTP client for signing in: keeps cookies, follows no redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """Make one request; return its status, Location and body."""
        headers = {"User-Agent": USER_AGENT, "Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def submit(self, page: str, action: str, fields: dict) -> str:
        """GET the form's page, POST `fields` with its CSRF token to `action`; return where
        the answer redirects to (raise Broken if it does not)."""
        status, _location, body = self.request("GET", page)
        token = CSRF_FIELD.search(body)
        if status != 200 or token is None:
            raise Broken(f"GET {page} answered {status}{'' if token else ', without a form'}")
        fields = {"csrfmiddlewaretoken": token.group(1), **fields}
        status, location, _body = self.request("POST", action, fields)
        if status != 302:
            raise Broken(f"POST {action} answered {status}, expected a redirect")
        return location


def sign_into_portal(server: Server, login_url: str, email: str, password: str, second) -> None:
    """Sign the measured user into our server: password, "another way": the app, its code."""
    browser = Browser(server.port)
    verify = browser.submit(login_url, login_url, {"login": email, "password": password})
    browser.submit(verify, f"{verify.rstrip('/')}/switch/", {"option": second.option_key})
    browser.submit(verify, verify, {"code": second.code()})
    server.cookie, server.signed_in_at = browser.cookie_header, time.monotonic()


def sign_into_anchor(server: Server) -> None:
    """Sign the anchor user into allauth: password, then allauth.mfa's code step."""
    browser = Browser(server.port)
    fields = {"login": ANCHOR_EMAIL, "password": ANCHOR_PASSWORD}
    step = browser.submit(ANCHOR_LOGIN_URL, ANCHOR_LOGIN_URL, fields)
    if step != ANCHOR_2FA_URL:
        raise Broken(f"anchor: the password step led to {step!r}, not {ANCHOR_2FA_URL}")
    browser.submit(step, step, {"code": pyotp.TOTP(ANCHOR_TOTP_SECRET).now()})
    server.cookie, server.signed_in_at = browser.cookie_header, time.monotonic()


# --- load -----------------------------------------------------------------------------------


def load_wrk(url: str, cookie: str, seconds: float) -> tuple[int, float, int, int]:
    """Load `url` with wrk; return (requests, requests/s, non-200 responses, last such status)."""
    command = [
        WRK,
        *(f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds:g}s", "-s", str(STATUS_SCRIPT)),
        *("-H", f"User-Agent: {USER_AGENT}"),
        *(("-H", f"Cookie: {cookie}") if cookie else ()),
        url,
    ]
    output = subprocess.run(  # noqa: S603 (our own command line)
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    ).stdout
    total = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    bad = re.search(r"non-200: (\d+) \(last (\d+)\)", output)
    if not (total and rate and bad):
        raise Broken(f"could not read wrk's output for {url}: {output.strip()[-300:]!r}")
    return int(total.group(1)), float(rate.group(1)), int(bad.group(1)), int(bad.group(2))


def load_python(url: str, cookie: str, seconds: float) -> tuple[int, float, int, int]:
    """Load `url` from WRK_CONNECTIONS threads, each requesting in a loop; as load_wrk."""
    host, _colon, rest = url.removeprefix("http://").partition(":")
    port, _slash, path = rest.partition("/")
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    counts = {"total": 0, "bad": 0, "last": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while time.monotonic() < deadline:
            try:
                connection.request("GET", "/" + path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                status = 0
            with lock:
                counts["total"] += 1
                if status != 200:
                    counts["bad"] += 1
                    counts["last"] = status
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(WRK_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = counts["total"] / (time.monotonic() - started)
    return counts["total"], rate, counts["bad"], counts["last"]


def load_generator():
    """Return the load function and its name: wrk where installed, else the Python one."""
    if shutil.which(WRK) or shutil.which("wrk"):
        return load_wrk, f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}"
    return load_python, f"Python threads x{WRK_CONNECTIONS} (wrk is not installed)"


def run_target(target: Target, seconds: float, load) -> None:
    """Load the target once; note its rps and server CPU per request, or why it is broken."""
    url = f"http://{HOST}:{target.server.port}{target.path}"
    cookie = target.server.cookie if target.signed_in else ""
    master = target.server.process.pid
    cpu_before = worker_cpu_seconds(master)
    total, rate, bad, last = load(url, cookie, seconds)
    cpu = worker_cpu_seconds(master) - cpu_before
    if bad or not total:
        target.broken = f"{target.what}: {bad} of {total} answers were not 200 (e.g. {last})"
        return
    target.runs.append((rate, cpu * 1000 / total))


# --- the run and its table ------------------------------------------------------------------


@dataclass
class Served:
    """What --serve found: the table's lines, budget misses, broken pages, the load used."""

    lines: list[tuple[str, ...]]
    problems: list[str]
    broken: list[str]
    load: str


def serve_and_measure(
    ours_url: str, anchor_url: str, pages: list[tuple[str, str, str]], sign_in, options
) -> Served:
    """Start both servers, measure every target for `options.rounds` rounds, stop them.

    `pages` lists (label, url name, path) of the portal pages; `sign_in` signs into ours
    (a callable taking the server). Raise Broken when a server cannot be served.
    """
    load, load_name = load_generator()
    prepare_anchor(anchor_url)
    with ExitStack() as stack:
        ours = stack.enter_context(gunicorn("ours", OURS_SETTINGS, ours_url))
        anchor = stack.enter_context(gunicorn("anchor", ANCHOR_SETTINGS, anchor_url))
        pairs = target_pairs(ours, anchor, pages)
        for _ in range(options.rounds):
            refresh_sign_ins(ours, anchor, sign_in)
            for target in (t for pair in pairs for t in pair[:2] if t is not None):
                if not target.broken:
                    run_target(target, options.serve_seconds, load)
    return judge(pairs, load_name)


def prepare_anchor(database_url: str) -> None:
    """Migrate the anchor's database and (re)make its user, in a process of its own."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": ANCHOR_SETTINGS, "DATABASE_URL": database_url}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.anchor.prepare"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise Broken(f"anchor: preparing its database failed: {done.stderr.strip()[-500:]}")


def target_pairs(
    ours: Server, anchor: Server, pages: list[tuple[str, str, str]]
) -> list[tuple[Target, Target | None, str]]:
    """Return (our target, its anchor, url name) for the bare page, each page, the sign-in."""
    pairs: list[tuple[Target, Target | None, str]] = [
        (
            Target(f"bare page GET {BARE_PATH}", ours, BARE_PATH),
            Target(f"allauth bare GET {BARE_PATH}", anchor, BARE_PATH),
            "bare",
        )
    ]
    for label, url_name, path in pages:
        anchor_path = ANCHOR_PAGES.get(url_name)
        counterpart = (
            Target(f"allauth GET {anchor_path}", anchor, anchor_path) if anchor_path else None
        )
        pairs.append((Target(f"{label} GET {path}", ours, path), counterpart, url_name))
    pairs.append(
        (
            Target(f"sign-in page GET {ANCHOR_LOGIN_URL}", ours, ANCHOR_LOGIN_URL, signed_in=False),
            Target(f"allauth GET {ANCHOR_LOGIN_URL}", anchor, ANCHOR_LOGIN_URL, signed_in=False),
            "sign_in",
        )
    )
    return pairs


def refresh_sign_ins(ours: Server, anchor: Server, sign_in) -> None:
    """Sign into a server that has no session yet, or (ours) whose sudo mode may lapse soon:
    Security info wants a multi-factor sign-in within SUDO_SECONDS."""
    from django.conf import settings  # noqa: PLC0415 (Django is configured by now)

    if not ours.cookie or time.monotonic() - ours.signed_in_at > settings.SUDO_SECONDS / 2:
        sign_in(ours)
    if not anchor.cookie:
        try:
            sign_into_anchor(anchor)
        except Broken as e:
            raise Broken(f"anchor: cannot sign in: {e}") from e


def judge(pairs: list[tuple[Target, Target | None, str]], load_name: str) -> Served:
    """Turn the targets' medians into the table's lines, the misses and the broken pages."""
    bare_cpu = pairs[0][0].cpu
    anchor_bare_cpu = pairs[0][1].cpu if pairs[0][1] else None
    lines, problems, broken = [], [], []
    for ours, anchor, url_name in pairs:
        goal, misses = [], []
        xbare = ratio(bare_cpu, ours.cpu)
        if url_name == "portal:overview":
            goal.append(f"x bare>={CAPACITY_GOAL:g}")
            if xbare is not None and xbare < CAPACITY_GOAL:
                misses.append(f"{ours.what}: x bare {xbare:.2f} < {CAPACITY_GOAL:g} (served)")
        versus = ratio(anchor.cpu, ours.cpu) if anchor else None
        if anchor and url_name != "bare":
            goal.append("vs allauth>=1")
            if versus is not None and versus < 1:
                misses.append(f"{ours.what}: capacity {versus:.2f} of allauth's {anchor.path}")
        failures = [t.broken for t in (ours, anchor) if t is not None and t.broken]
        broken += failures
        problems += misses
        verdict = "BROKEN" if failures else ("OVER" if misses else ("ok" if goal else "-"))
        lines.append(
            (
                ours.what,
                number(ours.rps, 0),
                number(ours.cpu),
                number(xbare),
                anchor.path if anchor else "-",
                number(anchor.rps, 0) if anchor else "-",
                number(anchor.cpu) if anchor else "-",
                number(ratio(anchor_bare_cpu, anchor.cpu)) if anchor else "-",
                number(ratio(ours.rps, anchor.rps)) if anchor else "-",
                number(versus),
                ", ".join(goal) or "-",
                verdict,
            )
        )
    return Served(lines, problems, broken, load_name)


SERVED_HEADER = (
    "what",
    "rps",
    "cpu ms/req",
    "x bare",
    "allauth page",
    "its rps",
    "its cpu ms/req",
    "its x bare",
    "rps ratio",
    "capacity ratio",
    "goal",
    "verdict",
)
SERVED_LEFT = (0, 4, 10, 11)  # the columns aligned left; numbers align right


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
