"""Every PostgreSQL connection of the stack killed (pg_terminate_backend), three times over:
the next requests to both app servers are answered (no 5xx), the worker lives on (the same
processes, a fresh heartbeat, /health/worker/ 200) and a code sent afterwards arrives."""

from datetime import UTC, datetime

import pytest

from tests.faults.flows import (
    SIGN_IN_TEXTED,
    code_in,
    finish_sign_in,
    signed_in_with_app,
    start_sign_in,
    texts_to,
)
from tests.faults.stack import wait_for

pytestmark = pytest.mark.stack

ROUNDS = 3
QUEUES = ("phone", "mail", "default")


def test_killed_database_connections_cost_no_request_and_no_worker(portal):
    signed_in = signed_in_with_app(portal, portal.take_user("totp"))
    children = {queue: portal.worker_child(queue) for queue in QUEUES}

    for round_ in range(1, ROUNDS + 1):
        killed_at = datetime.now(UTC)
        assert portal.db.terminate_connections() > 0, "the stack had no connection to kill"

        # The next requests, on both servers (two workers each, so several of each): pages that
        # read the session and the account, and the health check. The first in each process
        # takes about a second longer: the pool finds its connection dead and, after a pause
        # (psycopg_pool's backoff), hands out a new one.
        for server in (portal.a, portal.b):
            on_server = signed_in.on(server)
            for _ in range(4):
                overview = on_server.get("/")
                assert (overview.status, overview.url) == (200, "/"), (round_, overview)
                health = on_server.get("/health/")
                assert (health.status, health.body) == (200, "ok\n"), (round_, health)

        # A code sent afterwards, asked for on one server and entered on the other.
        user = portal.take_user("sms")
        first, second = (portal.a, portal.b) if round_ % 2 else (portal.b, portal.a)
        browser = portal.browser(first)
        start_sign_in(browser, user)
        number = user["phone"]
        [text] = wait_for(lambda n=number: texts_to(portal, n), 15, f"round {round_}'s text")
        assert browser.on(second).get("/accounts/verify/").says(SIGN_IN_TEXTED)
        finish_sign_in(browser.on(second), code_in(text["Body"]))
        [event] = portal.db.sign_ins(user["email"])
        assert event["result"] == "success"

        # The worker: the same processes, each with a heartbeat written since the kill.
        def beating(killed_at=killed_at) -> bool:
            fresh = {row["queues"] for row in portal.db.heartbeats() if row["seen_at"] > killed_at}
            return fresh >= set(QUEUES)

        wait_for(beating, 15, f"a heartbeat from every queue's worker after kill {round_}")
        assert {queue: portal.worker_child(queue) for queue in QUEUES} == children
        assert portal.browser().get("/health/worker/").status == 200
