"""Rate limits: one way to count attempts, one exception, one answer.

Each action has its rates in settings.RATE_LIMITS, written "20/h/ip,5/15m/key": at most 20 an
hour from one client address and 5 in 15 minutes for one key (an account, a phone number, a
typed address; "user" counts per signed-in user; "ipkey" per key from one client address).
`consume()` counts an attempt against every
rate of the action, or raises RateLimited with the seconds until the exhausted rate lets one
through again. RateLimitMiddleware answers it the same way wherever it is raised: the "Too many
attempts" page, or JSON for the API and for scripts, with a matching Retry-After header.

Counts are kept in a moving window (the `limits` library): an attempt counts for exactly the
period after it, so the time to wait is exact. They live in Redis when REDIS_URL is set, so
every worker shares them, else in this process's memory. Keys are hashed: no address or phone
number is stored in the clear.
"""

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import ngettext
from limits import RateLimitItem, RateLimitItemPerSecond, storage, strategies
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage

from portal.http import client_ip

_UNITS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
_SCOPES = ("ip", "key", "user", "ipkey")


# Seconds to wait for Redis: a hung cache must cost a request a second, not a worker.
STORAGE_TIMEOUT = 1.0


class LimitsUnavailable(Exception):
    """The counts cannot be read (Redis is unreachable): nothing limited may go ahead, so the
    request is answered "temporarily unavailable" (503) rather than let through unlimited."""


class RateLimited(Exception):
    """Too many attempts at `action` lately; `retry_after` is how many seconds to wait."""

    def __init__(self, action: str, retry_after: int) -> None:
        super().__init__(f"{action}: retry after {retry_after} s")
        self.action = action
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        """Say how long to wait, in the unit people think in: seconds, minutes or hours."""
        seconds = self.retry_after
        if seconds < 60:
            return ngettext(
                "For your security we have paused this for now. Try again in %(count)d second.",
                "For your security we have paused this for now. Try again in %(count)d seconds.",
                seconds,
            ) % {"count": seconds}
        minutes = math.ceil(seconds / 60)
        if minutes < 120:
            return ngettext(
                "For your security we have paused this for now. Try again in %(count)d minute.",
                "For your security we have paused this for now. Try again in %(count)d minutes.",
                minutes,
            ) % {"count": minutes}
        hours = math.ceil(minutes / 60)
        return ngettext(
            "For your security we have paused this for now. Try again in %(count)d hour.",
            "For your security we have paused this for now. Try again in %(count)d hours.",
            hours,
        ) % {"count": hours}


@dataclass(frozen=True)
class Rate:
    amount: int  # 0 refuses every attempt
    seconds: int
    scope: str  # "ip", "key", "user" or "ipkey"

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.seconds)


def consume(
    request: HttpRequest, action: str, key: str | None = None, *, dry_run=False
) -> list[str]:
    """Count one attempt at `action`, or raise RateLimited if one of its rates is used up.

    A "key" rate counts per `key`, an "ipkey" rate per `key` from this client address, and a
    "user" rate per signed-in user; each is skipped when there is none. A rate that protects an
    account from guessing should be "ipkey" (or keyed on a side of the account, see
    signins.services.account_side): a plain "key" rate is one strangers can use up against the
    account's owner. With `dry_run`, nothing is counted: only whether an attempt would be refused.

    Return the counts taken for the person rather than for the client address (their "key",
    "user" and "ipkey" rates), as hashed keys `refund()` can give back: an attempt that failed
    on our side (a send the provider never took) should not cost them one.
    """
    charges = []
    for rate in rates(action):
        identity = _identity(request, rate.scope, key)
        if identity is None:
            continue
        if rate.amount == 0:
            raise RateLimited(action, rate.seconds)
        with _storage_errors(action):
            allowed = (
                _limiter().test(rate.item, action, rate.scope, identity)
                if dry_run
                else _limiter().hit(rate.item, action, rate.scope, identity)
            )
            if not allowed:
                stats = _limiter().get_window_stats(rate.item, action, rate.scope, identity)
                raise RateLimited(action, max(1, math.ceil(stats.reset_time - time.time())))
        if rate.scope != "ip" and not dry_run:
            charges.append(rate.item.key_for(action, rate.scope, identity))
    return charges


def refund(charges: list[str]) -> None:
    """Give back counts that `consume()` took: the newest attempt under each key is removed.

    The moving window keeps one timestamp per attempt, newest first, in a Redis list (or this
    process's memory); `limits` has no call for taking one back, so this does it on the two
    storages this module configures. A count that has expired meanwhile is left alone.
    """
    storage_ = _limiter().storage
    for charge in charges:
        if isinstance(storage_, RedisStorage):
            with _storage_errors("refund"):
                storage_.get_connection().lpop(storage_.prefixed_key(charge))  # type: ignore[attr-defined]
        elif isinstance(storage_, MemoryStorage):
            with storage_.locks[charge]:
                if events := storage_.events.get(charge):
                    events.pop(0)


def clear(request: HttpRequest, action: str, key: str | None = None) -> None:
    """Forget the attempts counted for `action` from this request's client, user and key."""
    for rate in rates(action):
        identity = _identity(request, rate.scope, key)
        if identity is not None and rate.amount:
            with _storage_errors(action):
                _limiter().clear(rate.item, action, rate.scope, identity)


def available() -> bool:
    """Tell whether the counts can be read and written (for the health check)."""
    try:
        return bool(_limiter().storage.check())
    except StorageError:
        return False


@contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    try:
        yield
    except StorageError as e:
        raise LimitsUnavailable(f"{action}: the rate-limit counts cannot be reached") from e


def reset_all() -> None:
    """Forget every count (the test suite starts each test with none)."""
    _limiter().storage.reset()


def rates(action: str) -> tuple[Rate, ...]:
    """Return the action's rates from settings.RATE_LIMITS; an unknown action is an error."""
    try:
        spec = settings.RATE_LIMITS[action]
    except KeyError:
        raise ImproperlyConfigured(f"RATE_LIMITS has no rates for {action!r}") from None
    return _parse_all(spec, action)


@cache
def _parse_all(spec: str, action: str) -> tuple[Rate, ...]:
    parsed = tuple(_parse(part.strip(), action) for part in spec.split(",") if part.strip())
    if not parsed:  # an empty value would switch the limit off unnoticed
        raise ImproperlyConfigured(f"RATE_LIMITS[{action!r}] has no rates")
    return parsed


def _parse(text: str, action: str) -> Rate:
    try:
        amount, period, scope = text.split("/")
        count = period[:-1] or "1"
        seconds = int(count) * _UNITS[period[-1]]
        rate = Rate(int(amount), seconds, scope)
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(f"RATE_LIMITS[{action!r}]: cannot read {text!r}") from None
    if scope not in _SCOPES or rate.amount < 0 or rate.seconds < 1:
        raise ImproperlyConfigured(f"RATE_LIMITS[{action!r}]: cannot read {text!r}")
    return rate


def _identity(request: HttpRequest, scope: str, key: str | None) -> str | None:
    value: str | None
    if scope == "ip":
        value = _network(client_ip(request))
    elif scope == "user":
        user = getattr(request, "user", None)
        value = str(user.pk) if user is not None and user.is_authenticated else None
    elif scope == "ipkey":
        value = None if key is None else f"{key}@{_network(client_ip(request))}"
    else:
        value = key
    if value is None:
        return None
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]


def _network(ip: str | None) -> str:
    """Count an IPv6 client by its /64, which one customer usually holds whole."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:  # the same client as its IPv4 address
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


@cache
def _limiter() -> strategies.MovingWindowRateLimiter:
    if not settings.REDIS_URL:
        return strategies.MovingWindowRateLimiter(storage.storage_from_string("memory://"))
    redis = storage.storage_from_string(
        settings.REDIS_URL,
        wrap_exceptions=True,  # any Redis failure is a StorageError
        socket_connect_timeout=STORAGE_TIMEOUT,
        socket_timeout=STORAGE_TIMEOUT,
    )
    return strategies.MovingWindowRateLimiter(redis)
