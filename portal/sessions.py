"""How long a signed-in session lasts: ended after a while without activity, and after a while
in all, however active (NIST SP 800-63B AAL2 by default: 30 minutes idle, 12 hours in all).

"Keep me signed in" (allauth's remember box, which gives the session cookie an age instead of
ending it with the browser) lifts the idle timeout and lets the session last the remembered
lifetime instead. The server is the authority: the times live in the session itself, so a
session whose cookie a browser keeps, or a thief replays, ends on time all the same.

The settings give the defaults; SESSION_POLICY names the function that says, for a user, what
applies to them (their organization's choices), returning a SessionPolicy. The clocks start at
every sign-in (note_sign_in); SessionTimeoutMiddleware asks note_activity on every request.
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, SessionBase
from django.http import HttpRequest
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from portal.http import PortalRequest
    from portal.models import User

# The session's own record of its times: {"signed_in_at", "active_at", "policy"}.
SESSION_TIMES_KEY = "portal_session_times"
# Last activity is written at most this often (seconds), so that most page views read the
# session without saving it; the policy is read afresh at the same moments. The idle timeout
# may therefore come up to this much early, never late.
ACTIVITY_RESOLUTION = 60


@dataclass(frozen=True)
class SessionPolicy:
    """The limits that apply to someone's sessions, in seconds."""

    idle_seconds: int
    absolute_seconds: int
    remember_offered: bool
    remembered_seconds: int

    def limits(self, *, kept: bool) -> tuple[int | None, int]:
        """Return (the idle limit, or None for none; the limit since signing in)."""
        if kept and self.remember_offered:
            return None, self.remembered_seconds
        return self.idle_seconds, self.absolute_seconds


def default_session_policy() -> SessionPolicy:
    """The site's defaults, from the settings: for people with no organization, and for
    anything an organization leaves unset."""
    return SessionPolicy(
        idle_seconds=settings.SESSION_IDLE_MINUTES * 60,
        absolute_seconds=settings.SESSION_ABSOLUTE_HOURS * 60 * 60,
        remember_offered=settings.SESSION_REMEMBER_OFFERED,
        remembered_seconds=settings.SESSION_COOKIE_AGE,
    )


def session_policy(user: "User | None") -> SessionPolicy:
    """Return the limits for `user`'s sessions (None: someone not yet known, at the sign-in
    form), as settings.SESSION_POLICY says."""
    return _policy_function(settings.SESSION_POLICY)(user)


@cache
def _policy_function(path: str) -> Callable[["User | None"], SessionPolicy]:
    return import_string(path)


def note_sign_in(sender: Any, request: HttpRequest, user: "User", **kwargs: Any) -> None:
    """Start the session's clocks at every sign-in, whichever way it was made (connected to
    Django's user_logged_in)."""
    _start(request.session, user, int(time.time()))


def note_activity(request: "PortalRequest") -> str | None:
    """Note a request in the signed-in session; if the session has ended instead (idle or
    signed in too long), return the message that says why."""
    session = request.session
    now = int(time.time())
    times = session.get(SESSION_TIMES_KEY)
    if times is None:  # signed in before sessions were timed: their clocks start now
        _start(session, request.user, now)
        return None
    due = now - times["active_at"] >= ACTIVITY_RESOLUTION
    policy = session_policy(request.user) if due else SessionPolicy(**times["policy"])
    idle, absolute = policy.limits(kept=_is_kept(session))
    if idle is not None and now - times["active_at"] > idle:
        return _("You were signed out after %(duration)s without activity. Sign in again.") % {
            "duration": _duration(idle)
        }
    if now - times["signed_in_at"] > absolute:
        return _("You were signed out %(duration)s after signing in. Sign in again.") % {
            "duration": _duration(absolute)
        }
    if due:
        session[SESSION_TIMES_KEY] = {**times, "active_at": now, "policy": asdict(policy)}
    return None


def _start(session: SessionBase, user: "User", now: int) -> None:
    policy = session_policy(user)
    session[SESSION_TIMES_KEY] = {"signed_in_at": now, "active_at": now, "policy": asdict(policy)}


def _is_kept(session: SessionBase) -> bool:
    """Tell whether the person chose "keep me signed in" (the cookie outlives the browser)."""
    return not session.get_expire_at_browser_close()


def _duration(seconds: int) -> str:
    """Say a limit in the largest whole unit: "14 days", "12 hours", "30 minutes"."""
    if seconds % (24 * 60 * 60) == 0:
        days = seconds // (24 * 60 * 60)
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds % (60 * 60) == 0:
        hours = seconds // (60 * 60)
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(seconds // 60, 1)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


class SessionStore(db.SessionStore):
    """Django's database sessions (SESSION_ENGINE = "portal.sessions"), written once per sign-in.

    Signing in gives the session a new key (against session fixation). Django's store saves
    the session under the new key at once, and again at the end of the response with what the
    sign-in put in it; this one only drops the old row, and the session is saved once, under a
    new key, with the response. A new key is not looked up first either: the insert refuses a
    key that is taken (one in 36^32), and a refused one is drawn again.
    """

    def cycle_key(self) -> None:
        data, old_key = self._get_session(), self.session_key  # type: ignore[attr-defined]
        self._session_key = None  # the save at the end of the response draws a new one
        self._session_cache = data
        self.modified = True
        if old_key:
            self.delete(old_key)

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)
