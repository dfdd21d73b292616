"""The request every portal view receives, facts read off any request, and reading one safely."""

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import HttpRequest, JsonResponse, RawPostDataException
from django.utils.http import url_has_allowed_host_and_scheme

from portal.browsers import Browser
from portal.models import User

if TYPE_CHECKING:  # set by organizations' middleware; portal itself never reads it
    from organizations.models import Organization


class PortalRequest(HttpRequest):
    """A request after the portal middleware: signed in, with what every page needs."""

    user: User
    browser: Browser
    home_organization: "Organization | None"


def once_per_request[T](request: HttpRequest, key: str, compute: Callable[[], T]) -> T:
    """Return what `compute()` returns, computed once for this request (several parts of a page
    ask the same question: sudo mode and Security info both read the user's methods)."""
    answers: dict[str, Any] = request.__dict__.setdefault("_once_per_request", {})
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address, read through the configured trusted proxies (once per
    request: a sign-in asks for it five times)."""
    return once_per_request(request, "client_ip", lambda: _read_client_ip(request))


def _read_client_ip(request: HttpRequest) -> str | None:
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None


# Where the JSON API is mounted (myaccount/urls.py): everything under it answers JSON, errors
# included, whether or not a view matched the address.
API_PREFIX = "api/"


def is_api_request(request: HttpRequest) -> bool:
    """Tell whether the request is for the JSON API (by its address, so a 404 is one too)."""
    return request.path_info.startswith(f"/{API_PREFIX}")


def wants_json(request: HttpRequest) -> bool:
    """Tell whether the client is a script or an API client that reads JSON, not a page."""
    match = request.resolver_match
    return (
        is_api_request(request)
        or (match is not None and match.namespace == "api")
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


def safe_next(request: HttpRequest, target: object, default: str = "/") -> str:
    """Return `target` when it is a path on this site, else `default`.

    Only paths are let through: not another site, not a scheme such as javascript:, and not a
    bare word such as "abc", which redirect() would try to read as the name of a view.
    """
    if (
        isinstance(target, str)
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


# What a script posts is small and shallow: a WebAuthn answer is a few kilobytes and four
# levels deep. Anything much larger or deeper is not a browser's answer.
JSON_MAX_BYTES = 64 * 1024
JSON_MAX_DEPTH = 8


class UnreadableBody(Exception):
    """The request's body is not the JSON object the endpoint reads; str(e) says why."""


def json_object(
    request: HttpRequest, *, max_bytes: int = JSON_MAX_BYTES, max_depth: int = JSON_MAX_DEPTH
) -> dict[str, Any]:
    """Return the JSON object the request's body holds, or raise UnreadableBody.

    Refused: a body over `max_bytes`, one that is not UTF-8 JSON, one nested deeper than
    `max_depth`, and any JSON value but an object.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_bytes:
        raise UnreadableBody(f"the body is over {max_bytes} bytes")
    try:
        body = request.body
    except (RequestDataTooBig, RawPostDataException) as e:  # too large, or read as a form
        raise UnreadableBody("the body cannot be read") from e
    if len(body) > max_bytes:
        raise UnreadableBody(f"the body is over {max_bytes} bytes")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as e:  # not UTF-8, not JSON, or nested beyond measure
        raise UnreadableBody("the body is not JSON") from e
    if not isinstance(value, dict):
        raise UnreadableBody("the body is not a JSON object")
    if _deeper_than(value, max_depth):
        raise UnreadableBody(f"the body is nested deeper than {max_depth} levels")
    return value


def _deeper_than(value: object, limit: int) -> bool:
    # A loop, not recursion: the depth to measure is the attacker's choice.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item)
    return False


def bad_request(message: str) -> JsonResponse:
    """Answer a script whose request could not be read: 400, in the JSON every error uses."""
    return JsonResponse({"error": "bad_request", "message": message}, status=400)
