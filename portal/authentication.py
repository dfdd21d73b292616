"""The one door into django-allauth's sign-in machinery.

allauth keeps, per session, a list of the factors proved so far ("authentication records": the
password, a second factor, a passkey, each with its time); the login stages run on top of it.
Everything the portal reads or writes there goes through this module, so that an allauth
upgrade that moves its internals touches one file. Public allauth APIs are used wherever they
exist; the one internal import left is marked below (ruff's TID251 bans the rest elsewhere).
"""

from typing import TYPE_CHECKING, Any

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication  # no public API yet
from allauth.account.stages import LoginStage, LoginStageController
from allauth.account.utils import perform_login
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from portal.models import User

# First factors that already prove possession of something: no second step after them.
STRONG_FIRST_FACTORS = frozenset({"passkey", "temporary_pass"})

__all__ = [
    "STRONG_FIRST_FACTORS",
    "LoginStage",
    "authentication_records",
    "complete_sign_in",
    "first_factor",
    "paused_stage",
    "record_factor",
    "second_factor",
]


def authentication_records(request: HttpRequest, user: "User | None") -> list[dict[str, Any]]:
    """Return the factors this session proved for `user`, oldest first."""
    return get_authentication_records(request, user)


def first_factor(request: HttpRequest, user: "User | None") -> str:
    """Name how this session's sign-in began: "password", "passkey", "temporary_pass"…"""
    records = authentication_records(request, user)
    return records[0]["method"] if records else ""


def second_factor(request: HttpRequest, user: "User | None") -> str:
    """Name the second factor this session's sign-in proved, e.g. "mobile_phone:sms"."""
    records = authentication_records(request, user)
    return next((r.get("type", "") for r in records[1:] if r["method"] == "mfa"), "")


def record_factor(request: HttpRequest, user: "User", method: str, **data: Any) -> None:
    """Note in the session that `user` just proved a factor (`method`, with details)."""
    record_authentication(request, user, method=method, **data)


def complete_sign_in(request: HttpRequest, user: "User", redirect_url: str | None) -> HttpResponse:
    """Run the sign-in stages for `user`, who just proved a first factor, and sign them in."""
    return perform_login(request, user, redirect_url=redirect_url, email=user.email)


def paused_stage(request: HttpRequest, key: str) -> LoginStage | None:
    """Return the login stage `key` if this session's sign-in is waiting on it, else None."""
    return LoginStageController.enter(request, key)
