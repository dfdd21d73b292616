"""The read-through cache every page leans on: what counts as current, and what a write ends."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError

from portal import caching


def counting(value):
    """A compute function that counts its calls."""

    def compute():
        compute.calls += 1
        return value

    compute.calls = 0
    return compute


def test_a_value_is_computed_once_while_its_generations_stand():
    compute = counting(["a"])
    assert caching.cached("k", compute, ["g1", "g2"]) == ["a"]
    assert caching.cached("k", compute, ["g1", "g2"]) == ["a"]
    assert compute.calls == 1


def test_a_change_to_any_of_its_generations_makes_it_stale():
    compute = counting(1)
    caching.cached("k", compute, ["g1", "g2"])
    caching.changed("g2")
    caching.cached("k", compute, ["g1", "g2"])
    caching.changed("g1")
    caching.cached("k", compute, ["g1", "g2"])
    assert compute.calls == 3
    caching.changed("unrelated")
    caching.cached("k", compute, ["g1", "g2"])
    assert compute.calls == 3


def test_a_lost_generation_is_a_miss_never_an_old_value():
    compute = counting(1)
    caching.cached("k", compute, ["g"])
    cache.delete(caching._generation_key("g"))  # evicted
    caching.cached("k", compute, ["g"])
    assert compute.calls == 2


def test_a_value_read_before_a_concurrent_write_is_not_stored():
    """A reader that found no token, then saw a writer set one while it read the database,
    must not store what it read: it may predate the write."""

    def compute():
        caching.changed("g")  # the write lands while this reader reads
        return "old"

    assert caching.cached("k", compute, ["g"]) == "old"
    assert caching.cached("k", counting("new"), ["g"]) == "new"


def test_the_database_answers_when_the_cache_cannot(monkeypatch):
    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(cache, "get_many", down)
    compute = counting(7)
    assert caching.cached("k", compute, ["g"]) == 7
    assert caching.cached("k", compute, ["g"]) == 7
    assert compute.calls == 2


def test_a_change_is_made_again_when_the_transaction_commits(django_capture_on_commit_callbacks):
    compute = counting(1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        caching.changed("g")
        caching.cached("k", compute, ["g"])  # a reader between the write and its commit
    assert len(callbacks) == 1
    callbacks[0]()
    caching.cached("k", compute, ["g"])
    assert compute.calls == 2


class RolledBack(Exception):
    pass


@transaction.atomic
def write_read_and_fail() -> None:
    caching.changed("g")
    assert caching.cached("k", counting("never committed"), ["g"]) == "never committed"
    raise RolledBack


def test_what_a_transaction_reads_after_its_own_write_is_not_kept_if_it_rolls_back():
    with pytest.raises(RolledBack):
        write_read_and_fail()
    compute = counting("committed")
    assert caching.cached("k", compute, ["g"]) == "committed"
    assert caching.cached("k", compute, ["g"]) == "committed"
    assert compute.calls == 1  # stored again once the transaction is over


def test_a_transaction_still_stores_what_it_did_not_change():
    compute = counting("other")
    with transaction.atomic():
        caching.changed("g")
        caching.cached("k", compute, ["another-generation"])
        caching.cached("k", compute, ["another-generation"])
    assert compute.calls == 1


def test_outside_a_transaction_a_change_is_made_once(monkeypatch):
    renewed = []
    monkeypatch.setattr(caching, "_renew", renewed.append)
    autocommit = SimpleNamespace(in_atomic_block=False, atomic_blocks=[])
    monkeypatch.setattr(
        caching,
        "transaction",
        SimpleNamespace(get_connection=lambda: autocommit, on_commit=lambda hook: hook()),
    )
    caching.changed("g")
    assert renewed == [("g",)]


def test_a_snapshot_reads_every_value_it_names_in_one_round_trip(cache_reads):
    first, second = counting("a"), counting("b")
    caching.cached("k1", first, ["g"])
    caching.cached("k2", second, ["g"])
    cache_reads.clear()
    snapshot = caching.Snapshot(["g"], ["k1", "k2"])
    assert snapshot.get("k1", first) == "a"
    assert snapshot.get("k2", second) == "b"
    assert len(cache_reads) == 1
    assert first.calls == second.calls == 1


def test_a_snapshot_reads_a_value_it_did_not_name_when_asked():
    caching.cached("other", counting("stored"), ["g"])
    snapshot = caching.Snapshot(["g"], [])
    compute = counting("computed")
    assert snapshot.get("other", compute) == "stored"
    assert compute.calls == 0


def test_a_snapshot_reads_again_after_this_process_changes_anything():
    """A page that writes and then reads sees its write, though its snapshot is older."""
    snapshot = caching.Snapshot(["g"], ["k"])
    assert snapshot.get("k", counting("before")) == "before"
    caching.changed("g")
    assert snapshot.get("k", counting("after")) == "after"


def test_a_snapshot_taken_without_the_cache_computes_and_stores_nothing(monkeypatch):
    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(cache, "get_many", down)
    compute = counting(7)
    snapshot = caching.Snapshot(["g"], ["k"])
    assert snapshot.get("k", compute) == 7
    assert snapshot.get("k", compute) == 7
    assert compute.calls == 2
    monkeypatch.undo()
    assert caching.cached("k", counting(8), ["g"]) == 8  # nothing was stored meanwhile


@pytest.fixture(autouse=True)
def _db(db):
    """changed() registers a commit callback, which needs a database connection."""


def test_the_redis_cache_reuses_its_client(settings):
    from django.core.cache.backends.redis import RedisCache as DjangosRedisCache  # noqa: PLC0415

    backend = caching.RedisCache("redis://127.0.0.1:6379/15", {})
    assert isinstance(backend, DjangosRedisCache)
    client = backend._cache.get_client(write=True)
    assert backend._cache.get_client(write=False) is client  # one server: reads go there too
    assert backend._cache.get_client("key", write=True) is client
