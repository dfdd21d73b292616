"""What every page reads again and again, kept in the cache until a write changes it.

A read names its value's key and the generations it depends on: `cached(key, compute,
generations)`. A generation is a random token in the cache ("security:42" for everything about
user 42's sign-in methods, "organizations" for every organization and policy). The value is
stored with the tokens it was computed under and counts only while they are all still current,
so one round trip to the cache answers a read. `changed(generation)` gives a generation a new
token: every value computed under the old one is then ignored, whichever key it sits under.

Writes never need to know what was cached from them. A model whose rows feed cached values
says which generations a row belongs to (`CachedRows.cache_generation`), and its saves,
deletes, bulk creates and queryset updates change them (`CachedRowsQuerySet`); tests check
that every write path does.

`changed()` acts at once (so the rest of the request reads afresh) and again once the write's
transaction commits: a reader that read the database before the commit may have stored the old
state meanwhile, under the token it read. Until then, what the writing connection reads of
those generations is not stored: it includes a write that may still be rolled back. A missing
token (never set, or evicted) is a miss, and a new token is only ever random, so an old value
can never count again. If the cache cannot be reached, reads go to the database and nothing is
stored; a value that a write could not invalidate lives at most `TIMEOUT`.

Keys carry a fingerprint of the installed models' fields, so a deploy that changes a model
never reads what older code stored.
"""

import hashlib
import logging
import secrets
import string
import threading
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from django.apps import apps
from django.core.cache import cache as default_cache
from django.core.cache.backends import redis as django_redis
from django.db import models, transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

TIMEOUT = 10 * 60  # seconds a value is kept (also the most a failed invalidation can cost)
PREFIX = "portal.cached"
_MISSING = object()
_renewals = 0  # how many times this process has renewed generations: see Snapshot
_renewals_lock = threading.Lock()
# What a cache that cannot be reached raises: Redis's errors, or the socket's beneath them.
CACHE_ERRORS = (RedisError, OSError)


def cached[T](key: str, compute: Callable[[], T], generations: Iterable[str]) -> T:
    """Return the value stored under `key` if it was computed under the current tokens of
    `generations`; else compute it, store it, and return it."""
    return Snapshot(generations, [key]).get(key, compute)


class Snapshot:
    """The current tokens of some generations and the values stored under some keys, read in
    one round trip: for a page that reads several values of the same generations.

    `get(key, compute)` answers from what was read, as `cached()` does. A snapshot is only
    as fresh as the moment it was read, so keep one no longer than a request; and once this
    process changes any generation (`changed()`), it reads again before it answers.
    """

    def __init__(self, generations: Iterable[str], keys: Iterable[str]) -> None:
        self._names = [_generation_key(name) for name in generations]
        self._keys = [_data_key(key) for key in keys]
        self._read()

    def _read(self) -> None:
        self._renewals = _renewals
        try:
            found = default_cache.get_many([*self._names, *self._keys])
        except CACHE_ERRORS as e:
            logger.warning("cache unavailable, reading from the database: %s", e)
            found, self._reachable = {}, False
        else:
            self._reachable = True
        self._tokens = [found.get(name) for name in self._names]
        self._values = {key: found[key] for key in self._keys if key in found}

    def get[T](self, key: str, compute: Callable[[], T]) -> T:
        if self._renewals != _renewals:
            self._read()
        data_key = _data_key(key)
        if data_key not in self._keys and self._reachable:  # not read with the others
            self._keys.append(data_key)
            try:
                found = default_cache.get(data_key, _MISSING)
            except CACHE_ERRORS as e:
                logger.warning("cache unavailable, reading %s from the database: %s", key, e)
                return compute()
            if found is not _MISSING:
                self._values[data_key] = found
        stored = self._values.get(data_key, _MISSING)
        if stored is not _MISSING and None not in self._tokens and stored[0] == self._tokens:
            return stored[1]
        value = compute()
        if self._reachable:
            self._store(data_key, value)
        return value

    def _store(self, data_key: str, value: Any) -> None:
        if _uncommitted().intersection(self._names):
            return  # read after this transaction's own write, which may still roll back
        tokens = self._tokens
        try:
            for n, name in enumerate(self._names):
                if tokens[n] is None:
                    token = _new_token()
                    # Another process may have set one meanwhile, after a write: what was just
                    # read may be older than that write, so it is not stored.
                    if not default_cache.add(name, token, timeout=None):
                        return
                    tokens[n] = token
            default_cache.set(data_key, (tokens, value), timeout=TIMEOUT)
        except CACHE_ERRORS as e:
            logger.warning("cache unavailable, %s not stored: %s", data_key, e)
        else:
            self._values[data_key] = (list(tokens), value)


def changed(*generations: str) -> None:
    """Make every value computed under these generations stale: now, and again when the
    current transaction commits (outside one, the write is committed already).

    Until that transaction ends, what this connection reads of them is not stored: it may
    include the write, and the write may still be rolled back.
    """
    if not generations:
        return
    _renew(generations)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _renew(generations))
    if _in_transaction(connection):
        uncommitted = _uncommitted_by_connection.setdefault(connection, set())
        uncommitted.update(map(_generation_key, generations))


# The generations each connection changed in its open transaction (connections are per thread).
_uncommitted_by_connection: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()


def _uncommitted() -> set[str]:
    """The generations this thread's connection changed in a transaction still open."""
    connection = transaction.get_connection()
    uncommitted = _uncommitted_by_connection.setdefault(connection, set())
    if uncommitted and not _in_transaction(connection):
        uncommitted.clear()  # committed or rolled back since
    return uncommitted


def _in_transaction(connection: Any) -> bool:
    """Tell whether a transaction that may still roll back is open: any atomic block but the
    ones Django's test cases wrap each test in (which Django's own durable check skips too)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _renew(generations: Iterable[str]) -> None:
    global _renewals  # the count this process's snapshots compare with
    with _renewals_lock:
        _renewals += 1
    try:
        default_cache.set_many(
            {_generation_key(name): _new_token() for name in generations}, timeout=None
        )
    except CACHE_ERRORS as e:
        logger.error("cache unavailable, cannot invalidate %s: %s", ", ".join(generations), e)


def _data_key(key: str) -> str:
    return f"{PREFIX}:{_fingerprint()}:value:{key}"


def _generation_key(name: str) -> str:
    return f"{PREFIX}:generation:{name}"


def _new_token() -> str:
    return secrets.token_hex(8)


@cache
def _fingerprint() -> str:
    """Name the shape of every installed model: its app, name and columns."""
    shape = sorted(
        (model._meta.label, *(field.attname for field in model._meta.concrete_fields))
        for model in apps.get_models()
    )
    return hashlib.sha256(repr(shape).encode()).hexdigest()[:12]


class CachedRowsQuerySet(models.QuerySet):
    """A queryset whose bulk writes change the generations of the rows they touch."""

    def update(self, **kwargs: Any) -> int:
        generations = self._generations()
        count = super().update(**kwargs)
        changed(*generations)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        generations = self._generations()
        result = super().delete()
        changed(*generations)
        return result

    def bulk_create(self, objs: Iterable, *args: Any, **kwargs: Any) -> list:
        created = super().bulk_create(objs, *args, **kwargs)
        changed(*_generations_of(created))
        return created

    def bulk_update(self, objs: Iterable, *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        count = super().bulk_update(objs, *args, **kwargs)
        changed(*_generations_of(objs))
        return count

    def _generations(self) -> set[str]:
        model: type[CachedRows] = self.model  # type: ignore[assignment]
        fields = model.cache_generation_fields()
        if not fields:
            return {model.cache_generation}
        rows = self.order_by().values_list(*fields).distinct()
        return {
            model.cache_generation.format(**dict(zip(fields, row, strict=True))) for row in rows
        }


class CachedRows(models.Model):
    """A model whose rows feed cached values: `cache_generation` names, as a format string
    over the row's columns ("security:{user_id}"), the generation each row belongs to."""

    cache_generation: ClassVar[str]

    objects = CachedRowsQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        changed(*self.cache_generations())

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        generations = self.cache_generations()
        result = super().delete(*args, **kwargs)
        changed(*generations)
        return result

    def cache_generations(self) -> list[str]:
        fields = self.cache_generation_fields()
        return [self.cache_generation.format(**{field: getattr(self, field) for field in fields})]

    @classmethod
    def cache_generation_fields(cls) -> tuple[str, ...]:
        """The columns `cache_generation` is formatted with."""
        return _fields_of(cls.cache_generation)


def _generations_of(rows: Iterable[Any]) -> set[str]:
    return {name for row in rows for name in row.cache_generations()}


@cache
def _fields_of(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


class _RedisCacheClient(django_redis.RedisCacheClient):
    """Django's Redis client, with one client object per connection pool: Django's makes a new
    one (and fills its tables of reply handlers) for every cache call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[Any, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The pool of the server to use (for a read, a replica's if there are some).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return self._clients[pool]


class RedisCache(django_redis.RedisCache):
    """Django's Redis cache (settings.CACHES), reusing its clients (see _RedisCacheClient)."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _RedisCacheClient
