"""The fault suite: the production stack started on 127.0.0.1, then broken one piece at a time.

It needs PostgreSQL (the server DATABASE_URL names: the stack gets a database of its own,
faults_stack_<pid>, dropped afterwards), Redis (FAULTS_REDIS_URL, default db 13 on
127.0.0.1:6379, flushed before and after) and gunicorn. CI runs the suite twice; these tests
run in its PostgreSQL pass (DATABASE_URL=postgres://…) and are skipped, with the reason, in the
SQLite one, or wherever one of those is missing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_faults pytest tests/faults -q

Two runs at once need different FAULTS_REDIS_URL dbs (each flushes its own). The suite takes
about two and a half minutes, half a minute of it to start the stack; a failing test prints
the end of every process's log.
"""

import os
import shutil
import urllib.parse

import psycopg
import pytest
import redis

from tests.faults.stack import BIN, Stack

FAULTS_DIR = os.path.dirname(__file__)
REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/13")


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    scheme = urllib.parse.urlsplit(url).scheme
    return url if scheme in {"postgres", "postgresql", "pgsql"} else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stack: runs against the production stack (tests/faults; PostgreSQL pass)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _postgres_url():
        return
    skip = pytest.mark.skip(
        reason="fault suite skipped: it runs in the PostgreSQL pass "
        "(DATABASE_URL=postgres://…), and DATABASE_URL does not name PostgreSQL"
    )
    for item in items:
        if item.get_closest_marker("stack") and str(item.path).startswith(FAULTS_DIR):
            item.add_marker(skip)


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


def _missing() -> str:
    """Why the stack cannot run here, or ""."""
    url = _postgres_url()
    if url is None:
        return "DATABASE_URL does not name PostgreSQL"
    admin = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.Error as e:
        return f"PostgreSQL does not answer at {urllib.parse.urlsplit(url).netloc} ({e})"
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as e:  # any failure means no Redis to run against
        return f"Redis does not answer at {REDIS_URL} ({type(e).__name__})"
    if not (BIN / "gunicorn").exists() and not shutil.which("gunicorn"):
        return f"gunicorn is not installed (looked in {BIN})"
    return ""


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The stack, started once for the suite and always stopped."""
    if reason := _missing():
        pytest.skip(f"fault suite skipped: {reason}")
    url = _postgres_url()
    assert url is not None
    running = Stack(tmp_path_factory.mktemp("stack"), url, REDIS_URL)
    try:
        running.start()
    except BaseException:
        print(running.logs_tail(60))  # why it did not start, in the report
        running.stop()
        raise
    yield running
    running.stop()


@pytest.fixture
def portal(stack, request):
    """The stack, healthy and with its fakes answering normally, for one test; afterwards
    (whatever happened) the fakes are put right, and on failure the logs are shown."""
    _put_right(stack)
    for server in (stack.a, stack.b):
        stack.wait_until_serving(server)
    stack.wait_until_worker_healthy()
    marks = stack.log_marks()
    yield stack
    _put_right(stack)
    if request.node.stash.get(_FAILED, False):
        print(stack.logs_tail())  # shown with the failure
    # Whatever the test broke, no app server ever answered with a server error.
    assert stack.server_errors_since(marks) == []


def _put_right(stack: Stack) -> None:
    stack.twilio.clear_faults()
    if not stack.twilio.running:
        stack.twilio.start()
    stack.smtp.clear_faults()
    if not stack.smtp.running:
        stack.smtp.start()
