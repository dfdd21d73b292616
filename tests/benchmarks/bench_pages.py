"""Measure the portal's pages and sign-ins against DESIGN.md's performance budgets.

A report, not a test (pytest does not collect it), and the one place the performance goals are
read from. Run it from the project root:

    .venv/bin/python tests/benchmarks/bench_pages.py [--database sqlite|postgres]
        [--pg-database myaccount_bench] [--users 10000] [--events 1000000] [--devices 30000]
        [--requests 300] [--sign-ins 60] [--wait-idle MINUTES] [--rebuild]
        [--serve [--serve-seconds 5] [--rounds 4]]

It builds the "Performance budgets" data set in a database of its own, never the dev database:
var/bench/bench.sqlite3 for SQLite, `--pg-database` on 127.0.0.1 for PostgreSQL. A marker
table keeps the sizes, so a rerun with the same sizes reuses the data and starts in seconds;
other sizes rebuild it. On every run the measured user is given DESIGN's 8 kinds of method
(an app, three phones, an email, a passkey, security questions, an app password) under a
policy that requires multi-factor sign-in, and a plain user (password only, no MFA) is made
for the password sign-in (tests/benchmarks/accounts.py). Whatever the benchmark itself writes
(sign-in events, sessions, rate-limit counts) is deleted again, so every run measures the same
data.

In-process, times are server time as the Django test client sees it (the whole middleware
stack, view and template, no network), with DEBUG off as in production. The measured user
signs in for real (password, then a code from the app). Each page is requested alternately
with the bare page (tests/benchmarks/bare.py: a tiny template through the session and auth
middleware only, with the same session), so both see the same machine. The columns:

    p50/p95/max ms  wall time per request
    cpu p50         this process's CPU time per request (immune to waiting for the CPU)
    queries         the SQL queries of one request once the cache is warm (the last warm-up
                    request), and in brackets the first request's with a cold cache
    x bare          capacity against the bare page: its cpu p50 / this page's cpu p50
    budget/verdict  the goal and whether it is met: ok, OVER, or BROKEN (raised, or not 200)

The sign-in rows time the plain user's password sign-in against check_password alone; the
bookkeeping is what the sign-in costs beyond its own hashing. The MFA row (informational)
does the same for the measured user's three requests: password, "another way": the app, code.

--serve also runs the pages under gunicorn beside a minimal django-allauth project
(tests/benchmarks/serve.py, tests/benchmarks/anchor/): wrk loads each page, its allauth
counterpart and both bare pages, interleaved, for --rounds rounds of --serve-seconds each, and
a second table gives throughput (rps), the workers' CPU per request, x bare, and for each page
its allauth page's and the ratios (rps ours/theirs; capacity = their CPU per request / ours).

Budget misses are reported on the last line ("OVER BUDGET: ..."); the exit code is 0 even
then. It is 1 only when a page is broken: it raised or answered other than 200, a sign-in
failed, or the anchors could not be served.
"""

import argparse
import io
import ipaddress
import itertools
import json
import logging
import math
import os
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.accounts import (  # noqa: E402 (the project root goes on the path first)
    PLAIN_EMAIL,
    PLAIN_PASSWORD,
    SecondFactor,
    describe_methods,
    prepare_measured_user,
    prepare_plain_user,
)
from tests.benchmarks.bare import (  # noqa: E402
    BARE_PATH,
    BARE_SIGN_IN_PATH,
    StackClientHandler,
    bare_client,
)
from tests.benchmarks.serve import (  # noqa: E402
    SERVED_HEADER,
    SERVED_LEFT,
    WORKERS,
    Broken,
    Served,
    serve_and_measure,
    sign_into_portal,
)
from tests.benchmarks.tables import print_table  # noqa: E402

SQLITE_PATH = ROOT / "var" / "bench" / "bench.sqlite3"
ANCHOR_SQLITE_PATH = ROOT / "var" / "bench" / "anchor.sqlite3"
PG_DATABASE = "myaccount_bench"
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ROLES = ("postgres", "root")
MARKER_TABLE = "bench_dataset"
DATASET_FORMAT = 1  # bump when the generated data changes shape, to force a rebuild

ORGANIZATIONS = 50
GUEST_SHARE = 0.1  # generated users with one guest membership besides their home organization
MEASURED_SIGN_INS = 2_000
HISTORY_DAYS = 90
BATCH_SIZE = 10_000
SEED = 2026

MEASURED_EMAIL = "measured.user@org01.bench.example"
MEASURED_PASSWORD = "Measured-User-Bench-2026!"
GENERATED_PASSWORD = "Generated-User-Bench-2026!"

WARM_UP = 20
SIGN_IN_WARM_UP = 5
RECORD_CALLS = 1_000
LOGIN_URL = "/accounts/login/"

IDLE_LOAD = 1.0  # 1-minute load average under which the machine counts as quiet
PAGE_QUERY_BUDGET = 12
PAGE_P95_BUDGET_MS = 25.0
BOOKKEEPING_BUDGET_MS = 5.0
PAGE_BUDGET = f"<={PAGE_QUERY_BUDGET} q, p95<={PAGE_P95_BUDGET_MS:g}"
OVERVIEW_URL_NAME = "portal:overview"
OVERVIEW_CAPACITY_GOAL = 0.6  # of the bare page's capacity (bare CPU per request / ours)

# Real browsers, as they arrive at the portal.
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
)
# Public addresses (GB, US, IE, DE), so the country lookup does real work.
PUBLIC_IPS = ("81.2.69.142", "8.8.8.8", "185.60.216.35", "2a00:1450:4001:82b::200e")


Sample = tuple[float, float]  # one call's (wall, CPU) time in milliseconds


@dataclass
class Row:
    """One line of the report: a timing distribution, its query count and its verdict."""

    what: str
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    cpu50: float | None = None  # median CPU time of this process, immune to waiting on others
    queries: int | None = None
    cold_queries: int | None = None  # the first call's, with nothing cached yet
    xbare: float | None = None  # capacity against the bare page: its cpu p50 / this cpu p50
    budget: str = "-"
    # None: informational, no budget. Empty: within budget. Otherwise what was missed.
    problems: list[str] | None = field(default=None)
    broken: str = ""  # why the page is broken (it raised, or answered other than 200)

    @property
    def verdict(self) -> str:
        if self.broken:
            return "BROKEN"
        if self.problems is None:
            return "-"
        return "OVER" if self.problems else "ok"


# --- the benchmark database ---------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument(
        "--sign-ins", type=int, default=60, help="timed full sign-ins (each hashes with Argon2)"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="MINUTES",
        help="before measuring, wait up to this long for the machine to be quiet",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the data set even if the sizes match"
    )
    parser.add_argument(
        "--pg-database",
        default=PG_DATABASE,
        metavar="NAME",
        help=f"the PostgreSQL bench database (default {PG_DATABASE}; the anchor's gets _anchor)",
    )
    parser.add_argument(
        "--serve", action="store_true", help="also measure the pages under gunicorn with wrk"
    )
    parser.add_argument(
        "--serve-seconds", type=float, default=5, help="--serve: seconds of load per target"
    )
    parser.add_argument("--rounds", type=int, default=4, help="--serve: rounds over the targets")
    args = parser.parse_args()
    if args.users < 2 or args.events < 1 or args.requests < 1 or args.sign_ins < 1:
        parser.error("--users must be at least 2; --events, --requests, --sign-ins at least 1")
    if args.rounds < 1 or args.serve_seconds < 1:
        parser.error("--rounds and --serve-seconds must be at least 1")
    return args


def requested_sizes(args: argparse.Namespace) -> dict:
    """Describe the data set; a stored data set is reused only when this matches exactly."""
    return {
        "format": DATASET_FORMAT,
        "users": args.users,
        "events": args.events,
        "organizations": ORGANIZATIONS,
        "measured_sign_ins": min(MEASURED_SIGN_INS, args.events),
    }


def prepare_sqlite(sizes: dict, rebuild: bool) -> tuple[str, dict | None]:
    """Return the bench database's URL and its marker; delete the file if the sizes differ."""
    marker = None
    if SQLITE_PATH.exists():
        try:
            with sqlite3.connect(f"file:{SQLITE_PATH}?mode=ro", uri=True) as db:
                query = f"SELECT * FROM {MARKER_TABLE}"  # noqa: S608 - a constant, no input
                stored = db.execute(query).fetchone()
            marker = _marker_from_row(stored)
        except sqlite3.Error:
            marker = None
    if rebuild or marker is None or marker["sizes"] != sizes:
        marker = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            SQLITE_PATH.with_name(SQLITE_PATH.name + suffix).unlink(missing_ok=True)
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{SQLITE_PATH}", marker


def prepare_postgres(sizes: dict, rebuild: bool, name: str) -> tuple[str, dict | None]:
    """Return the URL and marker of the bench database `name`; (re)create it if missing or
    stale."""
    import psycopg

    role, admin = _pg_admin_connection(psycopg)
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        marker = _pg_marker(psycopg, role, name) if exists else None
        if rebuild or marker is None or marker["sizes"] != sizes:
            marker = None
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    return pg_url(role, name), marker


def pg_url(role: str, name: str) -> str:
    """Return the URL of the PostgreSQL database `name` on the bench server."""
    return f"postgres://{role}@{PG_HOST}:{PG_PORT}/{name}"


def prepare_postgres_anchor(name: str) -> str:
    """Create the anchor project's PostgreSQL database if missing; return its URL."""
    import psycopg

    role, admin = _pg_admin_connection(psycopg)
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return pg_url(role, name)


def _pg_admin_connection(psycopg):
    """Connect to the server's maintenance database as the first role that works."""
    errors = []
    for role in PG_ROLES:
        try:
            return role, psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=role, dbname="postgres", autocommit=True
            )
        except psycopg.Error as e:
            errors.append(f"{role}: {e}")
    sys.exit("Cannot reach PostgreSQL at 127.0.0.1:5432 (" + "; ".join(errors) + ")")


def _pg_marker(psycopg, role: str, name: str) -> dict | None:
    """Read the marker from the bench database, or None if it has none (an interrupted load)."""
    try:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=role, dbname=name) as db:
            query = f"SELECT * FROM {MARKER_TABLE}"  # noqa: S608 - a constant, no input
            return _marker_from_row(db.execute(query).fetchone())
    except psycopg.Error:
        return None


def _marker_from_row(row) -> dict | None:
    if row is None:
        return None
    sizes, load_seconds, max_event_id, loaded_at = row
    return {
        "sizes": json.loads(sizes),
        "load_seconds": float(load_seconds),
        "max_event_id": int(max_event_id),
        "loaded_at": loaded_at,
    }


def setup_django(database_url: str) -> None:
    """Point the settings at the bench database, start Django, and migrate."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myaccount.settings")
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    # Production runs with DEBUG off: no query log, no template debug data. Set before any
    # query runs and before the template engine is built, both of which read it then.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", interactive=False, verbosity=0)
    # Codes sent at sign-in run as tasks in the request; their log lines are not the report.
    logging.getLogger("django.tasks").setLevel(logging.WARNING)


# --- the data set ---------------------------------------------------------------------------


def load_dataset(sizes: dict) -> dict:
    """Generate the data set in one transaction, write the marker, and return it."""
    from django.db import connection, transaction
    from django.utils import timezone

    started = time.perf_counter()
    rng = random.Random(SEED)
    now = timezone.now()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index updates
    with transaction.atomic():
        organizations = create_organizations()
        users = create_users(sizes["users"] - 1, organizations, rng)
        measured = create_measured_user(organizations)
        sources = sign_in_sources(rng)
        others = sizes["events"] - sizes["measured_sign_ins"]
        insert_events(event_rows(users, others, sources, rng, now, unknown_share=0.01), others)
        insert_events(
            event_rows([measured], sizes["measured_sign_ins"], sources, rng, now),
            sizes["measured_sign_ins"],
        )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            # Autovacuum would do this soon after a bulk load; the planner needs it now.
            cursor.execute("ANALYZE")
    return write_marker(sizes, time.perf_counter() - started)


def create_organizations() -> list:
    """Create the tenants the users belong to."""
    from organizations.models import Organization

    return Organization.objects.bulk_create(
        Organization(
            name=f"Bench Organization {n:02d}",
            slug=f"bench-org-{n:02d}",
            primary_domain=f"org{n:02d}.bench.example",
            helpdesk_url=f"https://help.org{n:02d}.bench.example/",
        )
        for n in range(1, ORGANIZATIONS + 1)
    )


def create_users(count: int, organizations: list, rng: random.Random) -> list:
    """Create the other employees: a home organization each, a guest membership for some.

    Their passwords are hashed with MD5 so that loading takes seconds; they never sign in.
    """
    from django.contrib.auth.hashers import MD5PasswordHasher

    from organizations.models import Membership
    from portal.models import User

    hasher = MD5PasswordHasher()
    homes = [rng.choice(organizations) for _ in range(count)]
    users = User.objects.bulk_create(
        (
            User(
                email=f"user{n:05d}@{home.primary_domain}",
                password=hasher.encode(GENERATED_PASSWORD, hasher.salt()),
                given_name=f"Given{n}",
                surname=f"Surname{n}",
                job_title="Engineer",
                department=f"Department {n % 20}",
            )
            for n, home in enumerate(homes, start=1)
        ),
        batch_size=BATCH_SIZE,
    )
    memberships = [
        Membership(user=user, organization=home, kind=Membership.Kind.HOME)
        for user, home in zip(users, homes, strict=True)
    ]
    for user, home in zip(users, homes, strict=True):
        if rng.random() < GUEST_SHARE:
            guest_in = rng.choice([org for org in organizations if org != home])
            memberships.append(
                Membership(user=user, organization=guest_in, kind=Membership.Kind.GUEST)
            )
    Membership.objects.bulk_create(memberships, batch_size=BATCH_SIZE)
    return users


def create_measured_user(organizations: list):
    """Create the user whose pages are measured, with the real (Argon2) password hash."""
    from organizations.models import Membership
    from portal.models import User

    user = User.objects.create_user(
        MEASURED_EMAIL,
        MEASURED_PASSWORD,
        given_name="Morgan",
        surname="Measure",
        job_title="Performance Engineer",
        department="Platform",
        office_location="Building 7",
        business_phone="+44 20 7946 0000",
        time_zone="Europe/Berlin",
    )
    Membership.objects.create(user=user, organization=organizations[0])
    Membership.objects.create(user=user, organization=organizations[1], kind=Membership.Kind.GUEST)
    return user


def sign_in_sources(rng: random.Random) -> tuple[list, list]:
    """Return (clients, places): parsed user agents, and public IPs with their country."""
    from portal.browsers import parse_user_agent
    from signins.geo import country_of

    clients = []
    for user_agent in USER_AGENTS:
        browser = parse_user_agent(user_agent)
        clients.append((user_agent, browser.name, browser.os, browser.device))
    places = []
    while len(places) < 300:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global:
            places.append((str(address), country_of(str(address))))
    return clients, places


def event_rows(
    users: list,
    count: int,
    sources: tuple[list, list],
    rng: random.Random,
    now,
    *,
    unknown_share: float = 0.0,
) -> Iterator:
    """Yield `count` unsaved sign-in events over the last HISTORY_DAYS, spread over `users`."""
    from signins.models import SignInEvent

    clients, places = sources
    result, reason = SignInEvent.Result, SignInEvent.Reason
    for n in range(count):
        user_agent, browser, os_name, device = rng.choice(clients)
        ip, country = rng.choice(places)
        roll = rng.random()
        if roll < unknown_share:
            user, email, outcome = None, f"nobody{n}@bench.example", reason.UNKNOWN_ACCOUNT
        else:
            user = rng.choice(users)
            email = user.email
            outcome = reason.WRONG_PASSWORD if roll < unknown_share + 0.07 else reason.NONE
        yield SignInEvent(
            user=user,
            email=email,
            created_at=now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86_400)),
            result=result.SUCCESS if outcome == reason.NONE else result.FAILURE,
            reason=outcome,
            app=SignInEvent.App.ADMIN if rng.random() < 0.03 else SignInEvent.App.PORTAL,
            method="password",
            ip=ip,
            country=country,
            browser=browser,
            os=os_name,
            device=device,
            user_agent=user_agent,
        )


def insert_events(rows: Iterable, total: int) -> None:
    """Insert events in batches of BATCH_SIZE, printing progress every 100,000."""
    from signins.models import SignInEvent

    done = 0
    for batch in itertools.batched(rows, BATCH_SIZE, strict=False):
        SignInEvent.objects.bulk_create(batch)
        done += len(batch)
        if done % 100_000 == 0 or done == total:
            print(f"  ... {done:,} / {total:,} sign-in events", flush=True)


def write_marker(sizes: dict, load_seconds: float) -> dict:
    """Record what was loaded, so that the next run with the same sizes reuses it."""
    from django.db import connection
    from django.utils import timezone

    from signins.models import SignInEvent

    max_event_id = SignInEvent.objects.order_by("-id").values_list("id", flat=True).first()
    row = (json.dumps(sizes), load_seconds, max_event_id, timezone.now().isoformat())
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {MARKER_TABLE} (sizes TEXT NOT NULL, load_seconds DOUBLE PRECISION"
            " NOT NULL, max_event_id BIGINT NOT NULL, loaded_at TEXT NOT NULL)"
        )
        insert = f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, %s)"  # noqa: S608 - constant
        cursor.execute(insert, row)
    return _marker_from_row(row)


def reset_to_loaded_state(marker: dict) -> None:
    """Delete what benchmark runs wrote: sign-in events after the load, and all sessions."""
    from django.contrib.sessions.models import Session

    from signins.models import SignInEvent

    SignInEvent.objects.filter(id__gt=marker["max_event_id"]).delete()
    Session.objects.all().delete()
    forget_attempts()


def forget_attempts() -> None:
    """Clear the cache and the rate limits' counts, so that no limit ever triggers."""
    from django.core.cache import cache

    from portal import ratelimits

    cache.clear()
    ratelimits.reset_all()


def measured_user():
    from portal.models import User

    return User.objects.get(email=MEASURED_EMAIL)


def prepare_accounts(user) -> tuple[SecondFactor, object, str]:
    """Set up the measured and the plain user (tests/benchmarks/accounts.py); return the
    measured user's app, the plain user and a note for the report.

    Done on every run, so a reused data set gets security info of the models' current shape.
    """
    from organizations.models import Organization
    from organizations.policies import home_organization

    second = prepare_measured_user(user)
    plain = prepare_plain_user(Organization.objects.get(primary_domain="org02.bench.example"))
    note = (
        f"{home_organization(user)} requires multi-factor sign-in (the measured user signs in"
        f" with the password, then an app code); {home_organization(plain)} does not"
        f" ({PLAIN_EMAIL}: the password only, no methods)"
    )
    return second, plain, note


# --- the report header ----------------------------------------------------------------------


def wait_for_idle(minutes: float) -> None:
    """Wait up to `minutes` for the 1-minute load average to drop below IDLE_LOAD."""
    deadline = time.monotonic() + minutes * 60
    load = os.getloadavg()[0]
    if load < IDLE_LOAD or minutes <= 0:
        return
    print(
        f"Waiting up to {minutes:g} min for the load average ({load:.2f}) to drop ...", flush=True
    )
    while load >= IDLE_LOAD and time.monotonic() < deadline:
        time.sleep(10)
        load = os.getloadavg()[0]


def describe_database() -> str:
    """Name the database vendor, version and where the bench database lives."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} ({SQLITE_PATH.relative_to(ROOT)})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    user, name = connection.settings_dict["USER"], connection.settings_dict["NAME"]
    return f"PostgreSQL {version} ({name} on {PG_HOST}:{PG_PORT} as {user})"


def print_dataset(args: argparse.Namespace, marker: dict, loaded_now: bool) -> None:
    """Print the sizes actually present (COUNTs), the notes on what is not modelled, the load."""
    from organizations.models import Membership, Organization
    from portal.models import User
    from signins.models import SignInEvent

    home = Membership.objects.filter(kind=Membership.Kind.HOME).count()
    guest = Membership.objects.filter(kind=Membership.Kind.GUEST).count()
    print(f"users:          {User.objects.count():>9,}  (requested {args.users:,})")
    print(f"organizations:  {Organization.objects.count():>9,}")
    print(f"memberships:    {home + guest:>9,}  ({home:,} home, {guest:,} guest)")
    print(f"sign-in events: {SignInEvent.objects.count():>9,}  (requested {args.events:,})")
    mine = SignInEvent.objects.filter(user__email=MEASURED_EMAIL).count()
    print(f"measured user:  {mine:>9,}  sign-ins ({MEASURED_EMAIL})")
    print(f"devices: not modelled yet (requested {args.devices:,}; measured user: 12)")
    print(f"sign-in methods: {describe_methods(measured_user())} (DESIGN.md: 8)")
    if loaded_now:
        print(f"load: {marker['load_seconds']:.1f} s (this run)")
    else:
        print(
            f"load: reused the data set loaded at {marker['loaded_at']} "
            f"(that load took {marker['load_seconds']:.1f} s)"
        )


# --- measuring ------------------------------------------------------------------------------


def time_calls(call: Callable[[], object], count: int) -> list[Sample]:
    """Call `count` times; return each call's (wall, CPU) duration in milliseconds.

    CPU is this process's (all threads), so it leaves out time spent waiting for the CPU while
    other programs run, and time the database server spends in its own processes.
    """
    samples = []
    for _ in range(count):
        started = clocks()
        call()
        samples.append(elapsed(started))
    return samples


def clocks() -> tuple[int, int]:
    """Read the wall clock and this process's CPU clock, in nanoseconds."""
    return time.perf_counter_ns(), time.process_time_ns()


def elapsed(started: tuple[int, int]) -> Sample:
    """Return the (wall, CPU) milliseconds since `started`, a reading of clocks()."""
    wall, cpu = clocks()
    return (wall - started[0]) / 1e6, (cpu - started[1]) / 1e6


class Queries(NamedTuple):
    """The SQL queries of one call: once the cache is as warm as use keeps it, and the first."""

    warm: int
    cold: int


def count_queries(
    call: Callable[[], object], count: int, between: Callable[[], object] | None = None
) -> Queries:
    """Call `count` times (the warm-up), and `between` after each; return the queries of the
    last call and of the first.

    Queries are counted apart from the timed calls: capturing them costs time too.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(count):
        with CaptureQueriesContext(connection) as captured:
            call()
        counts.append(len(captured.captured_queries))
        if between is not None:
            between()
    return Queries(warm=counts[-1], cold=counts[0])


def queries_cell(row: Row) -> str:
    """Say the warm count, and the cold one beside it when it differs."""
    if row.queries is None:
        return "-"
    if row.cold_queries is None or row.cold_queries == row.queries:
        return str(row.queries)
    return f"{row.queries} ({row.cold_queries} cold)"


def percentile(durations: list[float], share: float) -> float:
    """Return the nearest-rank percentile (share 0.5 is the median)."""
    ordered = sorted(durations)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def distribution(what: str, samples: list[Sample], queries: Queries | None) -> Row:
    """Summarize (wall, CPU) samples as a row without a budget."""
    walls = [wall for wall, _ in samples]
    return Row(
        what,
        p50=percentile(walls, 0.5),
        p95=percentile(walls, 0.95),
        max=max(walls),
        cpu50=percentile([cpu for _, cpu in samples], 0.5),
        queries=queries.warm if queries else None,
        cold_queries=queries.cold if queries else None,
    )


def judge_page(row: Row, statuses: set[int]) -> Row:
    """Apply the page budget: <= 12 queries and p95 <= 25 ms; a page not answering 200 is
    broken."""
    row.budget = PAGE_BUDGET
    row.problems = []
    most = max(row.queries, row.cold_queries or 0)
    if most > PAGE_QUERY_BUDGET:
        row.problems.append(f"{row.what}: {most} queries > {PAGE_QUERY_BUDGET}")
    if row.p95 > PAGE_P95_BUDGET_MS:
        row.problems.append(f"{row.what}: p95 {row.p95:.1f} ms > {PAGE_P95_BUDGET_MS:g} ms")
    if statuses != {200}:
        row.broken = f"{row.what}: answered {sorted(statuses)}, not 200"
    return row


def judge_capacity(row: Row, goal: float) -> Row:
    """Add the goal that the page keeps `goal` of the bare page's capacity (x bare)."""
    row.budget += f", x bare>={goal:g}"
    if row.xbare is not None and row.xbare < goal:
        row.problems.append(f"{row.what}: x bare {row.xbare:.2f} < {goal:g}")
    return row


def getter(client, url: str, statuses: set[int]) -> Callable[[], None]:
    """Return a call that GETs `url` with `client` and notes the status it answered."""

    def get() -> None:
        statuses.add(client.get(url).status_code)

    return get


def measure_page(client, bare, what: str, url: str, requests: int) -> tuple[Row, list[Sample]]:
    """Time GET `url` alternately with the bare page; return the page's row and the bare
    page's samples.

    WARM_UP requests of each come first (counting the page's queries), then `requests` of
    each, one after the other, so both see the same machine state.
    """
    statuses: set[int] = set()
    get = getter(client, url, statuses)
    bare_statuses: set[int] = set()
    get_bare = getter(bare, BARE_PATH, bare_statuses)
    try:
        queries = count_queries(get, WARM_UP)
        time_calls(get_bare, WARM_UP)
        page_samples, bare_samples = [], []
        for _ in range(requests):
            bare_samples += time_calls(get_bare, 1)
            page_samples += time_calls(get, 1)
    except Exception as e:  # a page under construction must not stop the report
        broken = f"{what}: raised {type(e).__name__}: {e}"
        return Row(what, budget=PAGE_BUDGET, problems=[], broken=broken), []
    row = judge_page(distribution(what, page_samples, queries), statuses)
    row.xbare = capacity(percentile([cpu for _, cpu in bare_samples], 0.5), row.cpu50)
    if bare_statuses != {200}:
        row.broken = row.broken or f"bare page: answered {sorted(bare_statuses)}, not 200"
    return row, bare_samples


def capacity(bare_cost: float | None, cost: float | None) -> float | None:
    """Return how many of these a machine serves per bare page it could: bare cost / ours."""
    if bare_cost is None or not cost:
        return None
    return bare_cost / cost


def bare_row(bare, samples: list[Sample]) -> Row:
    """Summarize the bare page's samples, taken alongside every page's."""
    statuses: set[int] = set()
    queries = count_queries(getter(bare, BARE_PATH, statuses), 1)
    row = distribution(f"bare page GET {BARE_PATH} (session + auth only)", samples, queries)
    row.xbare = 1.0
    row.problems = []
    if statuses != {200} or not samples:
        row.broken = f"bare page: answered {sorted(statuses)}, not 200"
    return row


def browser_client():
    """Return a test client that looks like a current Chrome from a public address."""
    from django.test import Client

    return Client(headers={"User-Agent": USER_AGENTS[0]}, REMOTE_ADDR=PUBLIC_IPS[0])


@contextmanager
def quiet() -> Iterator[None]:
    """Keep the development phone's printout (the text a sign-in sends) out of the report."""
    with redirect_stdout(io.StringIO()):
        yield


def expect_redirect(response, what: str) -> None:
    """Raise unless a sign-in step answered with a redirect."""
    if response.status_code != 302:
        raise RuntimeError(f"{what} answered {response.status_code}, expected 302")


def sign_in_with_app(client, second: SecondFactor, code: str) -> None:
    """Sign the measured user in for real: the password, then the app's code at the second
    step (which first challenges the default method, the mobile phone: a text)."""
    from django.urls import reverse

    with quiet():
        response = client.post(LOGIN_URL, {"login": MEASURED_EMAIL, "password": MEASURED_PASSWORD})
    expect_redirect(response, "the password step")
    if response["Location"] != reverse("sign_in:verify"):
        raise RuntimeError(f"the password step led to {response['Location']}, not the 2nd step")
    response = client.post(reverse("sign_in:switch"), {"option": second.option_key})
    expect_redirect(response, "switching to the app")
    expect_redirect(client.post(reverse("sign_in:verify"), {"code": code}), "the app's code")


def signed_in_client(second: SecondFactor):
    """Return a browser client signed in as the measured user, with both steps.

    Signed in through the forms rather than force_login(): pages in sudo mode (security info)
    want the session's record of a recent multi-factor sign-in, which only a real one writes.
    """
    from django.contrib.auth import SESSION_KEY

    client = browser_client()
    sign_in_with_app(client, second, second.code())
    if SESSION_KEY not in client.session:
        raise RuntimeError("the measured user could not sign in")
    forget_attempts()
    return client


def page_rows(second: SecondFactor, requests: int) -> list[Row]:
    """Measure every portal page signed in as the measured user, the sign-in page, and the
    bare page alongside each."""
    from django.urls import reverse

    from portal.navigation import portal_pages

    client = signed_in_client(second)
    bare = bare_client(client)
    rows, bare_samples = [], []
    for page in portal_pages():
        url = reverse(page.url_name)
        row, samples = measure_page(client, bare, f"{page.label} GET {url}", url, requests)
        if page.url_name == OVERVIEW_URL_NAME:
            judge_capacity(row, OVERVIEW_CAPACITY_GOAL)
        rows.append(row)
        bare_samples += samples
    what = f"sign-in page GET {LOGIN_URL}"
    row, samples = measure_page(browser_client(), bare, what, LOGIN_URL, requests)
    rows.append(row)
    bare_samples += samples
    stack = bare_client(client, StackClientHandler)
    what = "bare page through the portal's middleware"
    row, samples = measure_page(stack, bare, what, BARE_PATH, requests)
    rows.append(row)
    bare_samples += samples
    return [bare_row(bare, bare_samples), *rows]


def record_sign_in_row(user) -> Row:
    """Time record_sign_in alone: one event row with UA parsing and country lookup."""
    from django.test import RequestFactory

    from signins.models import SignInEvent
    from signins.services import record_sign_in

    factory = RequestFactory()
    requests = itertools.cycle(
        [
            factory.post(LOGIN_URL, headers={"User-Agent": agent}, REMOTE_ADDR=ip)
            for agent, ip in itertools.product(USER_AGENTS, PUBLIC_IPS)
        ]
    )

    def record() -> None:
        record_sign_in(
            next(requests), result=SignInEvent.Result.SUCCESS, user=user, method="password"
        )

    queries = count_queries(record, WARM_UP)
    row = distribution("record_sign_in() alone", time_calls(record, RECORD_CALLS), queries)
    row.budget = f"p95<={BOOKKEEPING_BUDGET_MS:g}"
    row.problems = []
    if row.p95 > BOOKKEEPING_BUDGET_MS:
        row.problems.append(f"record_sign_in p95 {row.p95:.1f} ms > {BOOKKEEPING_BUDGET_MS:g}")
    return row


def sign_in_rows(user, sign_ins: int) -> list[Row]:
    """Time the plain user's password sign-ins against check_password alone; the gap is the
    bookkeeping.

    Both use the configured hasher (Argon2) on the user's real hash, alternately, so that both
    see the same machine state. Argon2 varies by several ms from call to call, so the hasher
    is also timed inside each sign-in: full time minus that request's own hashing is the
    bookkeeping without the noise. Between sign-ins the client signs out and the rate limits'
    counts are cleared, so they never trigger; neither is timed. The cache is kept, as it is
    between one person's sign-in and the next in the same organization: the organization and
    its policies are read from it (the first, cold sign-in's queries are shown too).
    """
    from django.contrib.auth.hashers import check_password

    client = browser_client()

    def sign_in() -> None:
        response = client.post(LOGIN_URL, {"login": PLAIN_EMAIL, "password": PLAIN_PASSWORD})
        expect_redirect(response, "the password sign-in")

    def hash_only() -> None:
        if not check_password(PLAIN_PASSWORD, user.password):
            raise RuntimeError("the plain user's password does not verify")

    queries = count_queries(sign_in, SIGN_IN_WARM_UP, between=lambda: sign_out(client))
    full, hashing, bookkeeping = [], [], []
    for _ in range(sign_ins):
        hashing += time_calls(hash_only, 1)
        sample, spent = time_hashed(sign_in)
        full.append(sample)
        bookkeeping.append(spent)
        sign_out(client)
    full_row = distribution("sign-in POST, full (Argon2)", full, queries)
    hash_row = distribution("check_password alone (Argon2)", hashing, None)
    gap = Row(
        "bookkeeping = full - check_password",
        p50=full_row.p50 - hash_row.p50,
        p95=full_row.p95 - hash_row.p95,
        cpu50=full_row.cpu50 - hash_row.cpu50,
        queries=queries.warm,
        cold_queries=queries.cold,
        budget=f"p50<={BOOKKEEPING_BUDGET_MS:g}",
        problems=[],
    )
    if gap.p50 > BOOKKEEPING_BUDGET_MS:
        gap.problems.append(f"sign-in bookkeeping p50 {gap.p50:.1f} ms > {BOOKKEEPING_BUDGET_MS:g}")
    same = distribution("bookkeeping = full - its own hashing", bookkeeping, queries)
    same.budget = f"p95<={BOOKKEEPING_BUDGET_MS:g}"
    same.problems = []
    if same.p95 > BOOKKEEPING_BUDGET_MS:
        same.problems.append(
            f"sign-in bookkeeping (in-request) p95 {same.p95:.1f} ms > {BOOKKEEPING_BUDGET_MS:g}"
        )
    return [full_row, hash_row, gap, same]


def bare_sign_in_row(sign_ins: int) -> Row:
    """Time Django's own sign-in of the plain user beyond its own hashing: the floor of any
    sign-in on this stack, measured like ours (informational)."""
    client = bare_client(browser_client())

    def sign_in() -> None:
        response = client.post(
            BARE_SIGN_IN_PATH, {"login": PLAIN_EMAIL, "password": PLAIN_PASSWORD}
        )
        expect_redirect(response, "the bare sign-in")

    queries = count_queries(sign_in, SIGN_IN_WARM_UP, between=lambda: sign_out(client))
    bookkeeping = []
    for _ in range(sign_ins):
        bookkeeping.append(time_hashed(sign_in)[1])
        sign_out(client)
    return distribution("bare sign-in: Django's login() - its hashing", bookkeeping, queries)


def two_step_row(second: SecondFactor, sign_ins: int) -> Row:
    """Time the measured user's multi-factor sign-in beyond its own hashing (informational).

    Three requests, as a person whose default is a text makes them with an app: the password
    (which sends the text), "sign in another way" with the app, and the app's code.
    """
    client = browser_client()
    queries = count_queries(
        lambda: sign_in_with_app(client, second, second.code()),
        SIGN_IN_WARM_UP,
        between=lambda: sign_out(client),
    )
    bookkeeping = []
    for _ in range(sign_ins):
        code = second.code()
        bookkeeping.append(time_hashed(lambda c=code: sign_in_with_app(client, second, c))[1])
        sign_out(client)
    what = "MFA sign-in (password, app, code) - its hashing"
    return distribution(what, bookkeeping, queries)


def time_hashed(call: Callable[[], object]) -> tuple[Sample, Sample]:
    """Call once; return its (wall, CPU) time, and that time minus its own hashing."""
    with hasher_timer() as spent:
        [sample] = time_calls(call, 1)
    return sample, (sample[0] - sum(w for w, _ in spent), sample[1] - sum(c for _, c in spent))


def sign_out(client) -> None:
    """Check that the client is signed in, then sign it out and forget the rate limits."""
    from django.contrib.auth import SESSION_KEY

    from portal import ratelimits

    if SESSION_KEY not in client.session:
        raise RuntimeError("the sign-in did not sign in")
    client.logout()
    ratelimits.reset_all()


@contextmanager
def hasher_timer() -> Iterator[list[Sample]]:
    """Time every verify() of the configured hasher meanwhile; yield the (wall, CPU) list."""
    from django.contrib.auth.hashers import get_hasher

    hasher_class = type(get_hasher())
    real_verify = hasher_class.verify
    spent: list[Sample] = []

    def verify(self, password: str, encoded: str) -> bool:
        started = clocks()
        try:
            return real_verify(self, password, encoded)
        finally:
            spent.append(elapsed(started))

    hasher_class.verify = verify
    try:
        yield spent
    finally:
        hasher_class.verify = real_verify


# --- the keyset index -----------------------------------------------------------------------


def keyset_plans(user) -> list[str]:
    """Print the plans and timings of the activity list's first and next page; return problems."""
    from django.db import connection
    from django.db.models import Q

    from signins.models import SignInEvent

    first = SignInEvent.objects.for_user(user)[:50]
    last = list(first)[-1]
    following = SignInEvent.objects.for_user(user).filter(
        Q(created_at__lt=last.created_at) | Q(created_at=last.created_at, id__lt=last.id)
    )[:50]
    total = SignInEvent.objects.filter(user=user).count()
    deep_at, deep_id = SignInEvent.objects.for_user(user).values_list("created_at", "id")[
        max(0, total - 51)
    ]
    deepest = SignInEvent.objects.for_user(user).filter(
        Q(created_at__lt=deep_at) | Q(created_at=deep_at, id__lt=deep_id)
    )[:50]
    problems = []
    explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
    for name, queryset in (("first page", first), ("next page (keyset)", following)):
        plan = queryset.explain()
        print(f"{explain} of for_user(user)[:50], {name}:")
        print("  " + plan.replace("\n", "\n  "))
        problems += plan_problems(name, plan, connection.vendor)
    for name, queryset in (
        ("first page", first),
        ("next page", following),
        (f"last page (cursor at row {total - 50:,})", deepest),
    ):
        samples = time_calls(lambda qs=queryset: list(qs.all()), 50)
        median = percentile([wall for wall, _ in samples], 0.5)
        print(f"  {name}: {median:.2f} ms median over 50 runs")
    return problems


def plan_problems(name: str, plan: str, vendor: str) -> list[str]:
    """Flag a full or sequential scan of the sign-in events, or a sort instead of the index.

    Also note (without failing) a keyset page whose index search is bounded by user_id only:
    the cursor is then checked row by row, so a deep page reads every newer row of the user.
    """
    table = "signins_signinevent"
    problems = []
    if vendor == "sqlite":
        if re.search(rf"\bSCAN {table}\b", plan):
            problems.append(f"{name}: full scan of {table}")
        if "TEMP B-TREE FOR ORDER BY" in plan:
            problems.append(f"{name}: sorts instead of reading the index in order")
        seeks_cursor = re.search(r"USING INDEX \w+ \([^)]*created_at", plan) is not None
    else:
        if f"Seq Scan on {table}" in plan:
            problems.append(f"{name}: sequential scan of {table}")
        if re.search(r"\bSort\b", plan):
            problems.append(f"{name}: sorts instead of reading the index in order")
        seeks_cursor = re.search(r"Index Cond: .*created_at", plan) is not None
    for problem in problems:
        print(f"  FLAG: {problem}")
    if not problems:
        print("  ok: reads signin_user_recent in order, no full scan, no sort")
    if "keyset" in name and not seeks_cursor:
        print(
            "  note: the index search is bounded by user_id only; the (created_at, id) cursor"
            " is a row-by-row filter, so a deep page reads every newer row of the user"
        )
    return [f"keyset {problem}" for problem in problems]


# --- the report -----------------------------------------------------------------------------


def print_rows(rows: list[Row]) -> None:
    """Print the in-process rows as a plain-text table with aligned columns."""
    header = (
        "what",
        "p50 ms",
        "p95 ms",
        "max ms",
        "cpu p50",
        "queries",
        "x bare",
        "budget",
        "verdict",
    )
    lines = [
        (
            row.what,
            number(row.p50),
            number(row.p95),
            number(row.max),
            number(row.cpu50),
            queries_cell(row),
            number(row.xbare),
            row.budget,
            row.verdict,
        )
        for row in rows
    ]
    print_table(header, lines, left=(0, 7, 8))


def in_process_rows(args: argparse.Namespace, second: SecondFactor, plain) -> list[Row]:
    """Measure the pages (with the bare page) and the sign-ins in this process."""
    rows = page_rows(second, args.requests)
    rows += guarded("record_sign_in() alone", lambda: [record_sign_in_row(plain)])
    rows += guarded("password sign-in", lambda: sign_in_rows(plain, args.sign_ins))
    rows += guarded("bare sign-in", lambda: [bare_sign_in_row(args.sign_ins)])
    rows += guarded("MFA sign-in", lambda: [two_step_row(second, args.sign_ins)])
    return rows


def guarded(what: str, measure: Callable[[], list[Row]]) -> list[Row]:
    """Return measure()'s rows, or one broken row if a sign-in went wrong on the way."""
    try:
        return measure()
    except Exception as e:  # one broken flow must not cost the rest of the report
        return [Row(what, problems=[], broken=f"{what}: raised {type(e).__name__}: {e}")]


def serve_rows(args: argparse.Namespace, database_url: str, second: SecondFactor) -> Served:
    """Run --serve: our pages and allauth's under gunicorn, beside their bare pages."""
    from django.urls import reverse

    from portal.navigation import portal_pages

    if args.database == "sqlite":
        anchor_url = f"sqlite:///{ANCHOR_SQLITE_PATH}"
    else:
        anchor_url = prepare_postgres_anchor(f"{args.pg_database}_anchor")
    pages = [(page.label, page.url_name, reverse(page.url_name)) for page in portal_pages()]

    def sign_in(server) -> None:
        sign_into_portal(server, LOGIN_URL, MEASURED_EMAIL, MEASURED_PASSWORD, second)

    print(
        f"\nServing (gunicorn, {WORKERS} sync workers each; {args.rounds} rounds of"
        f" {args.serve_seconds:g} s per target) ...\n",
        flush=True,
    )
    try:
        return serve_and_measure(database_url, anchor_url, pages, sign_in, args)
    except Broken as e:
        return Served([], [], [f"--serve: {e}"], "-")


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    """Prepare the bench database, measure, print the report; exit 1 only if a page broke."""
    args = parse_args()
    sizes = requested_sizes(args)
    if args.database == "sqlite":
        database_url, marker = prepare_sqlite(sizes, args.rebuild)
    else:
        database_url, marker = prepare_postgres(sizes, args.rebuild, args.pg_database)
    setup_django(database_url)
    loaded_now = marker is None
    if loaded_now:
        print(f"Loading the data set ({args.users:,} users, {args.events:,} events) ...")
        marker = load_dataset(sizes)
    reset_to_loaded_state(marker)
    served = None
    try:
        wait_for_idle(args.wait_idle)
        user = measured_user()
        second, plain, note = prepare_accounts(user)
        print(f"\ndatabase: {describe_database()}; DEBUG off")
        print_dataset(args, marker, loaded_now)
        print(f"policy: {note}")
        print()
        problems = keyset_plans(user)
        print(f"\nMeasuring ({args.requests} requests per page after {WARM_UP} warm-up) ...\n")
        load_before = os.getloadavg()[0]  # the benchmark's own load would count in after it
        rows = in_process_rows(args, second, plain)
        reset_to_loaded_state(marker)
        print_rows(rows)
        print(
            f"\nmachine: {os.cpu_count()} CPUs, 1-minute load average {load_before:.2f} before"
            f" measuring (above {IDLE_LOAD:g}, other programs skew the times; wall time well"
            " above cpu p50 means waiting, for the CPU or for PostgreSQL)"
        )
        if args.serve:
            served = serve_rows(args, database_url, second)
    finally:
        reset_to_loaded_state(marker)
    broken = [row.broken for row in rows if row.broken]
    if served is not None:
        print(f"\nServed: gunicorn on {describe_database()}, load from {served.load}\n")
        print_table(SERVED_HEADER, served.lines, left=SERVED_LEFT)
        problems += served.problems
        broken += served.broken
    problems = [problem for row in rows for problem in row.problems or ()] + problems
    print()
    print("OVER BUDGET: " + "; ".join(problems) if problems else "all within budget")
    if broken:
        sys.exit("BROKEN: " + "; ".join(broken))


if __name__ == "__main__":
    main()
