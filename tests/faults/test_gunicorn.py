"""`kill -HUP` on a gunicorn master (what a deploy or a config reload sends) while a client
keeps asking /health/: the master starts new workers and retires the old ones gracefully, and
every request in the meantime is answered, none refused, none with a 5xx."""

import signal
import threading
import time

import pytest

from tests.faults.stack import wait_for

pytestmark = pytest.mark.stack

SECONDS = 10


def test_a_gunicorn_reload_drops_no_request(portal):
    server = portal.a
    master = server.process
    old_workers = set(master.children())
    assert len(old_workers) == 2
    answers: list[object] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            browser = portal.browser(server)  # a new connection each time
            try:
                page = browser.get("/health/", timeout=5)
                answers.append(page.status if page.body == "ok\n" else (page.status, page.body))
            except OSError as e:  # refused, reset, timed out
                answers.append(repr(e))
            time.sleep(0.01)

    client = threading.Thread(target=keep_asking, daemon=True)
    client.start()
    try:
        time.sleep(1)
        master.signal(signal.SIGHUP)
        wait_for(
            lambda: (
                len(set(master.children()) - old_workers) == 2
                and not set(master.children()) & old_workers
            ),
            SECONDS,
            "two new workers to replace the old ones",
        )
        time.sleep(SECONDS / 2)  # and keep asking a while after the switch
    finally:
        stop.set()
        client.join(timeout=10)

    assert master.alive
    failures = [answer for answer in answers if answer != 200]
    assert failures == [], failures
    assert len(answers) > 100, f"only {len(answers)} requests in {SECONDS} s"
