"""Under load, every sign-in attempt is one event: LOAD_USERS people sign in at once on both
app servers for LOAD_SECONDS, finishing, cancelling, abandoning and mistyping their second
step. Afterwards each person's sign-in log holds
exactly the attempts they made, with the outcome each ended in, and no page answered 5xx.

`LOAD_USERS=50 LOAD_SECONDS=60 pytest tests/faults/test_load.py -s` runs the full measurement
(it prints the figures); CI runs a shorter one.
"""

import os
import random
import threading
import time
from collections import Counter

import pyotp
import pytest

from tests.faults.flows import SIGN_IN_VERIFY, start_sign_in

pytestmark = pytest.mark.stack

USERS = int(os.environ.get("LOAD_USERS", "20"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "15"))


def one_person(portal, user: dict, deadline: float, made: Counter, errors: list) -> None:
    """Sign in over and over, each time ending the second step another way; count what an
    attempt should leave in the log (the result it ended in)."""
    totp = pyotp.TOTP(user["totp"])
    used_steps: set[int] = set()
    ways = ["finish", "cancel", "abandon", "mistype"]
    turn = random.randrange(len(ways))  # which way each person starts
    while time.monotonic() < deadline:
        way = ways[turn % len(ways)]
        turn += 1
        server = portal.a if turn % 2 else portal.b
        browser = portal.browser(server)  # a new browser (and address) for every attempt
        try:
            page = start_sign_in(browser, user)
            # The code is read off the app when it is typed, after the password: the step can
            # have changed while the password was checked.
            step = int(time.time() // 30)
            if way == "finish" and step in used_steps:  # a code works once: wait for a new one
                way = "mistype"
            if way == "finish":
                code = totp.at(step * 30)
                done = browser.post(SIGN_IN_VERIFY, {"code": code}, token=page.csrf_token())
                assert done.url == "/", done
                used_steps.add(step)
                made["success"] += 1
            elif way == "cancel":
                browser.post("/accounts/verify/cancel/", {}, token=page.csrf_token())
                made["interrupted"] += 1
            elif way == "abandon":
                made["interrupted"] += 1  # the browser goes away
            else:
                wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
                again = browser.post(SIGN_IN_VERIFY, {"code": wrong}, token=page.csrf_token())
                assert again.status == 200, again
                assert again.says("That code is not right"), again
                made["failure"] += 1
        except Exception as e:  # every error is a finding, reported below
            errors.append(f"{user['email']} {way}: {e!r}"[:300])
            return


def test_every_attempt_under_load_is_one_event(portal):
    people = [portal.take_user("load") for _ in range(USERS)]
    made = {person["email"]: Counter() for person in people}
    errors: list[str] = []
    before = {person["email"]: len(portal.db.sign_ins(person["email"])) for person in people}
    assert not any(before.values())

    deadline = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=one_person, args=(portal, p, deadline, made[p["email"]], errors))
        for p in people
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    took = time.monotonic() - started

    assert not errors, "\n".join(errors[:10])
    attempts = sum(sum(counts.values()) for counts in made.values())
    events = 0
    mismatched = []
    for person in people:
        rows = portal.db.sign_ins(person["email"])
        events += len(rows)
        logged = Counter(row["result"] for row in rows)
        if logged != made[person["email"]]:
            mismatched.append((person["email"], dict(made[person["email"]]), dict(logged)))
    print(
        f"\nload: {USERS} people, {took:.0f} s, {attempts} attempts, {events} events, "
        f"{len(mismatched)} people whose log differs; by result: "
        f"{dict(sum(made.values(), Counter()))}"
    )
    assert not mismatched, mismatched[:5]
    assert attempts == events
    assert attempts >= USERS  # everyone got going
