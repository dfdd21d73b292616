"""Measure the CPU a password check can be made to spend: the worst inputs we can craft.

A report, not a test (pytest does not collect it). Run it from the project root:

    .venv/bin/python tests/benchmarks/bench_password_strength.py [--search SECONDS] [--seed N]

Each input is checked as the strength endpoint checks it (`strength.assess`: zxcvbn on the
bounded prefix, then every validator but the reuse check, which only hashes), and, for
comparison, as zxcvbn alone scores its first 50 characters. The inputs: crafted ones (many
different look-alike characters, repeated patterns, digit runs and dates, dictionary words in
a row, keyboard walks), then whatever a random search finds that is slower still, starting
from the slowest crafted ones. Times are CPU time (`time.process_time`), the best of three
runs of each input; the last line is the slowest check.
"""

import argparse
import os
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = 3
WHOLE_LENGTH = 257  # what the endpoint keeps of a password: the policy's longest, plus one
ALPHABET = string.ascii_letters + string.digits + string.punctuation + " "
LOOK_ALIKES = "4@8(<{[3691!|10$5+7%2"  # every character zxcvbn reads as a letter

CRAFTED = {
    "look-alikes": LOOK_ALIKES * 13,
    "look-alikes, sorted": "".join(sorted(LOOK_ALIKES)) * 13,
    "the twelve worst look-alikes": "!$(+1457<@[|" * 22,
    "letters, then look-alikes": "q" * 30 + LOOK_ALIKES * 11,
    "a word, then look-alikes": "password" * 3 + LOOK_ALIKES * 11,
    "leet words": "p4$$w0rd5un5h1n3pr1nc3$$dr4g0nm0nk3yf00tb4ll" * 6,
    "one letter": "a" * WHOLE_LENGTH,
    "two letters": "ab" * 129,
    "nested repeats": "aab" * 86,
    "repeated chunk": "abc123" * 43,
    "digits in order": "1234567890" * 26,
    "random digits": "".join(random.Random(1).choice(string.digits) for _ in range(WHOLE_LENGTH)),
    "dates": "19901231" * 33,
    "years": "".join(str(year) for year in range(1950, 2015)),
    "common passwords": "passwordsunshineprincessdragonmonkeyfootball" * 6,
    "keyboard rows": "qwertyuiopasdfghjklzxcvbnm" * 10,
    "keyboard columns": "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/" * 7,
    "alphabet": string.ascii_lowercase * 10,
    "random": "".join(random.Random(2).choice(ALPHABET) for _ in range(WHOLE_LENGTH)),
}


def cpu_ms(check: Callable[[], object]) -> float:
    best = float("inf")
    for _run in range(RUNS):
        started = time.process_time()
        check()
        best = min(best, time.process_time() - started)
    return best * 1000


def mutate(password: str, rng: random.Random) -> str:
    """Change one thing: a character, a character more, or a stretch copied elsewhere."""
    position = rng.randrange(len(password))
    choice = rng.random()
    if choice < 0.4:
        changed = password[:position] + rng.choice(ALPHABET) + password[position + 1 :]
    elif choice < 0.7:
        changed = password[:position] + rng.choice(LOOK_ALIKES) + password[position:]
    else:
        start = rng.randrange(len(password))
        chunk = password[start : start + rng.randint(2, 12)]
        changed = password[:position] + chunk + password[position:]
    return changed[:WHOLE_LENGTH]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search", type=float, default=30, help="seconds of random search")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myaccount.settings")
    import django  # noqa: PLC0415 (the project's modules load only once Django is set up)

    django.setup()
    from zxcvbn import zxcvbn  # noqa: PLC0415

    from portal.models import User  # noqa: PLC0415
    from security_info.password import guessable, strength  # noqa: PLC0415

    # Unsaved, so nothing touches a database: the default policy and these names apply.
    user = User(
        email="alice.archer@northwind.example",
        given_name="Alice",
        surname="Archer",
        display_name="Alice Archer",
    )

    def check(password: str) -> float:
        return cpu_ms(lambda: strength.assess(password, user))

    print(f"{'input':<28} {'zxcvbn, first 50':>17} {'scored':>7} {'check':>9}")
    timed = {}
    for name, password in CRAFTED.items():
        password = password[:WHOLE_LENGTH]
        timed[name] = (check(password), password)
        print(
            f"{name:<28} {cpu_ms(lambda p=password: zxcvbn(p[:50])):14.1f} ms"
            f" {len(guessable.scored_prefix(password)):7d} {timed[name][0]:6.1f} ms"
        )

    rng = random.Random(args.seed)
    pool = sorted(timed.values(), reverse=True)[:4]
    deadline = time.monotonic() + args.search
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        candidate = mutate(rng.choice(pool)[1], rng)
        spent = check(candidate)
        if spent > pool[-1][0]:
            pool = sorted([*pool, (spent, candidate)], reverse=True)[:4]
    worst_found, found = pool[0]
    print(
        f"{f'random search ({tries} tries)':<28} {cpu_ms(lambda: zxcvbn(found[:50])):14.1f} ms"
        f" {len(guessable.scored_prefix(found)):7d} {worst_found:6.1f} ms"
    )
    name, (worst, _password) = max(timed.items(), key=lambda item: item[1][0])
    if worst_found > worst:
        name, worst = "random search", worst_found
    print(f"Slowest found by the search starts {found[: guessable.SCORED_LENGTH]!r}.")
    print(f"Slowest check: {worst:.1f} ms ({name}).")


if __name__ == "__main__":
    main()
