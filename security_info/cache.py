"""What the pages and sign-in steps read about a person's security info, kept in the cache.

Every row of the person's methods, answers, app passwords, codes, passes, blocked numbers and
registration status belongs to their generation "security:<user id>" (`CachedRows` in
models.py), so any write to any of them refreshes every value cached here for that person.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from portal.caching import cached

if TYPE_CHECKING:
    from portal.models import User


def generation(user_id: int | None) -> str:
    """Name the generation of everything about this person's security info."""
    return f"security:{user_id}"


def of_user[T](user: "User", name: str, compute: Callable[[], T]) -> T:
    """Return `compute()` for the user, from the cache while none of their rows changed."""
    return cached(f"security_info:{name}:{user.pk}", compute, [generation(user.pk)])
