"""What the pages and sign-in steps read about a person's security info, kept in the cache.

Every row of the person's methods, answers, app passwords, codes, passes, blocked numbers and
registration status belongs to their generation "security:<user id>" (`CachedRows` in
models.py), so any write to any of them refreshes every value cached here for that person.

A page reads several of these values. The first read of a request fetches all of them at once
(every name this process has asked for so far), so a page pays one round trip to the cache
however many it shows.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from portal.caching import Snapshot

if TYPE_CHECKING:
    from portal.models import User

# The names asked for so far: the next snapshot reads them all.
_names: set[str] = set()
_SNAPSHOT = "_security_info_snapshot"  # where a user object keeps its snapshot


def generation(user_id: int | None) -> str:
    """Name the generation of everything about this person's security info."""
    return f"security:{user_id}"


def of_user[T](user: "User", name: str, compute: Callable[[], T]) -> T:
    """Return `compute()` for the user, from the cache while none of their rows changed."""
    _names.add(name)
    snapshot = user.__dict__.get(_SNAPSHOT)
    if snapshot is None:
        keys = [_key(user, known) for known in sorted(_names)]
        snapshot = user.__dict__[_SNAPSHOT] = Snapshot([generation(user.pk)], keys)
    return snapshot.get(_key(user, name), compute)


def _key(user: "User", name: str) -> str:
    return f"security_info:{name}:{user.pk}"
