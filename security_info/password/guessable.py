"""How guessable a password is: the tries an attacker makes first, and zxcvbn's estimate.

Attackers start from lists of common passwords, dressed the way people dress them: a capital,
look-alike characters (P@ssw0rd), digits, a year and a symbol at the end (Summer2026!). They
also try the person's own names and their organization's. This module reads a password the
same way. zxcvbn then estimates what is left to guess, on a prefix small enough that no input
costs more than a few tens of milliseconds to score (see `scored_prefix`).
"""

import re
from dataclasses import dataclass
from functools import cache

from django.contrib.auth.password_validation import CommonPasswordValidator
from zxcvbn import matching, zxcvbn

from organizations.policies import home_organization, password_policy

# What people type instead of a letter so that a word looks less like itself.
LOOK_ALIKES = {
    "a": "4@",
    "b": "8",
    "e": "3",
    "g": "9",
    "i": "1!|",
    "l": "1|",
    "o": "0",
    "s": "5$",
    "t": "7+",
}
# Each look-alike read as its letter. 1 and | stand for i and for l, so i and l read as one
# letter too: "p1ll0w" and "pillow" have the same reading.
_READING = str.maketrans(
    {"l": "i"}
    | {
        char: "i" if letter == "l" else letter
        for letter, chars in LOOK_ALIKES.items()
        for char in chars
    }
)
# Names shorter than this are too often part of ordinary words to refuse them anywhere.
PERSONAL_WORD_LENGTH = 4

# zxcvbn's time grows with the square of the length: up to ~60 ms at 64 characters here.
SCORED_LENGTH = 64
# zxcvbn looks up every substring of the password once per way of reading its look-alike
# characters ("l33t" substitutions), and those ways multiply with each different look-alike:
# "4@8(<{[3691!|10$5+7%2" has 736, and took 1.8 s at 50 characters. So the prefix also ends
# before readings * length^2 passes this (some 30 ms of that work): 64 characters read up to
# 8 ways, and 11 at least, which the worst look-alikes ("!$(+1457<@[|") make 276 ways.
L33T_WORK_LIMIT = 128 * 16 * 16
_L33T_CHARACTERS = frozenset(char for chars in matching.L33T_TABLE.values() for char in chars)


@dataclass(frozen=True)
class Estimate:
    """zxcvbn's score (0 to 4) and its advice, in English."""

    score: int
    warning: str
    suggestions: list[str]


def is_common(password: str) -> bool:
    """Tell whether the password is a common one, once look-alikes are read as letters and the
    digits and symbols before and after its letters are set aside ("Summer2026!!!")."""
    folded = password.casefold()
    reading = folded.translate(_READING)
    letters = [position for position, char in enumerate(folded) if char.isalpha()]
    if not letters:
        return reading in _common_readings()
    first, last = letters[0], letters[-1]
    longest = _longest_common_reading()
    # Every way to cut it into digits and symbols, a word with all the letters (and perhaps
    # look-alikes next to them, as in "$ummer"), then more digits and symbols.
    return any(
        reading[start:end] in _common_readings()
        for start in range(max(0, last + 1 - longest), first + 1)
        for end in range(last + 1, min(len(reading), start + longest) + 1)
    )


def contains_any(password: str, words: list[str]) -> bool:
    """Tell whether one of the words is in the password, in any case, even with look-alikes
    for some of its letters ("N0rthw1nd" has "northwind")."""
    if not words:
        return False
    pattern = "|".join(_look_alike_pattern(word.casefold()) for word in words)
    return re.search(pattern, password.casefold()) is not None


def _look_alike_pattern(word: str) -> str:
    return "".join(
        f"[{re.escape(char + LOOK_ALIKES[char])}]" if char in LOOK_ALIKES else re.escape(char)
        for char in word
    )


def personal_words(user) -> list[str]:
    """The user's names, the name part of their address and their organization's name, word
    by word: none of them belongs in their password."""
    if user is None:
        return []
    values = [user.given_name, user.surname, user.display_name, user.email.partition("@")[0]]
    organization = home_organization(user)
    if organization is not None:
        values.append(organization.name)
    words = {part.casefold() for value in values for part in re.split(r"[\W_]+", value)}
    return sorted(word for word in words if len(word) >= PERSONAL_WORD_LENGTH)


def estimate(password: str, user) -> Estimate:
    """Ask zxcvbn how hard the password is to guess for someone who knows the user."""
    scored = scored_prefix(password)
    if not scored:  # zxcvbn cannot score an empty string
        return Estimate(0, "", [])
    result = zxcvbn(scored, user_inputs=user_inputs(user), max_length=SCORED_LENGTH)
    feedback = result["feedback"]
    return Estimate(result["score"], feedback["warning"], list(feedback["suggestions"]))


def scored_prefix(password: str) -> str:
    """Return what zxcvbn scores: the first SCORED_LENGTH characters, ending sooner where
    look-alikes would make the work pass L33T_WORK_LIMIT. A longer password is judged on its
    start; the other rules read all of it."""
    prefix = password[:SCORED_LENGTH]
    look_alikes = ""
    readings = 1
    for length, char in enumerate(prefix, start=1):
        if char in _L33T_CHARACTERS and char not in look_alikes:
            look_alikes += char
            readings = l33t_readings(look_alikes)
        if readings * length * length > L33T_WORK_LIMIT:
            return prefix[: length - 1]
    return prefix


def l33t_readings(text: str) -> int:
    """Count the ways zxcvbn reads the look-alike characters in the text as letters."""
    table = matching.relevant_l33t_subtable(text, matching.L33T_TABLE)
    return len(matching.enumerate_l33t_subs(table))


def user_inputs(user) -> list[str]:
    """Words zxcvbn should treat as easy to guess: the user's names, address and organization,
    and the words the policy bans."""
    if user is None:
        return []
    values = [user.given_name, user.surname, user.display_name, user.email]
    values.append(user.email.partition("@")[0])
    organization = home_organization(user)
    if organization is not None:
        values.append(organization.name)
    # zxcvbn matches whole entries: "Northwind Traders" must also be "northwind", "traders".
    words = {part for value in values for part in re.split(r"[\W_]+", value) if len(part) > 2}
    return (
        [value for value in values if value]
        + sorted(words)
        + password_policy(user).banned_word_list
    )


@cache
def _common_readings() -> frozenset[str]:
    """Django's list of 20,000 common passwords, each read as `is_common` reads a password."""
    return frozenset(word.translate(_READING) for word in CommonPasswordValidator().passwords)


@cache
def _longest_common_reading() -> int:
    return max(map(len, _common_readings()))
