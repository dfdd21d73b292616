"""No body, however hostile, gets a server error: every answer is below 500.

Every URL pattern of the project is attacked: the portal's, allauth's, the admin's and the API,
found by walking the resolver (routes.py), so a page added tomorrow is attacked tomorrow. Each
is attacked by whoever can reach it (anyone, a signed-in user, one in sudo mode, and where the
page is a step of a flow, someone on that step: signing in, resetting a password, an admin), and
an object page with an object of the visitor's own and with someone else's.

The bodies are in FORM_BODIES and OTHER_BODIES: empty, NUL bytes, 1 MB, invalid UTF-8, lists
where one value is expected, wrong types, 10,000 levels of nesting, odd content types. Their
fields are the ones the page's own form has, and the usual ones. Each goes through the real
CSRF check, to the page in the state the visitor left it in (a transaction is rolled back after
every request). A page that shows a form gets one JSON body only (it reads any other body as an
empty form). A visitor the page turns away before reading anything (sign in first, verify
first, 405), and a page without a form, get the few CANARY bodies, which test the middleware
every request passes through.

The server errors still known, in code outside these suites, are in KNOWN_DEFECTS: each must
keep happening until it is fixed, and then its entry must go.
"""

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings as project_settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from tests.security.routes import Route, all_routes
from tests.security_info.conftest import mark_strong_sign_in, start_sign_in

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MEGABYTE = 1_000_000
CSRF_SECRET = "hostile" * 4 + "body"  # 32 letters, as Django's own secrets are
# Fields every body fills besides the page's own: what views read from any request.
USUAL_FIELDS = ("next", "code", "email", "password", "name", "option", "credential")
_FORMSET_COUNTS = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")
_FORM_FIELD = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"')


@dataclass(frozen=True)
class Body:
    """A hostile request: sent as `content_type`, or as a query string when `method` is GET."""

    label: str
    content_type: str
    make: Callable[[list[str]], bytes]
    method: str = "POST"


def _form(fields: list[str], *values: str) -> bytes:
    """A form giving the fields, in turn, the `values`."""
    return urlencode([(f, values[n % len(values)]) for n, f in enumerate(fields)]).encode()


def _raw_form(fields: list[str], value: bytes) -> bytes:
    return b"&".join(field.encode() + b"=" + value for field in fields)


def _json(fields: list[str], literals: list[str]) -> bytes:
    """A JSON object giving the fields, in turn, the JSON texts `literals` as their values."""
    pairs = (f"{json.dumps(f)}: {literals[n % len(literals)]}" for n, f in enumerate(fields))
    return ("{" + ", ".join(pairs) + "}").encode()


def _multipart(fields: list[str], value: bytes) -> bytes:
    parts = (
        b'--x\r\nContent-Disposition: form-data; name="' + f.encode() + b'"\r\n\r\n' + value
        for f in fields
    )
    return b"\r\n".join(parts) + b"\r\n--x--\r\n"


FORM_BODIES = [
    Body("form: empty", FORM, lambda f: b""),
    Body("form: NUL bytes", FORM, lambda f: _form(f, "a\x00b")),
    Body("form: 1 MB in all", FORM, lambda f: _form(f, "x" * (MEGABYTE // len(f)))),
    Body(
        "form: lists where one value is expected",
        FORM,
        lambda f: (
            b"&".join(_raw_form(f, v) for v in (b"1", b"2"))
            + b"&"
            + _raw_form([f"{name}[]" for name in f], b"3")
        ),
    ),
    Body("form: invalid UTF-8", FORM, lambda f: _raw_form(f, b"%FF%FE%ED%A0%80\xff\xc0")),
    Body("form: numbers out of range", FORM, lambda f: _form(f, "9" * 30, "-1")),
    Body("form: odd text", FORM, lambda f: _form(f, " \u202e\ufeff\U0001f600e\u0301\t\r\n")),
    Body("multipart: no boundary", "multipart/form-data", lambda f: b"--x\r\n"),
    Body(
        "multipart: NUL bytes",
        "multipart/form-data; boundary=x",
        lambda f: _multipart(f, b"\x00\xff"),
    ),
    Body(
        "query: NUL, invalid UTF-8, lists",
        "",
        lambda f: _raw_form(f, b"%00%FF") + b"&" + _raw_form(f, b"2"),
        method="GET",
    ),
]
# JSON, and the other bodies a page without a form of its own might read.
OTHER_BODIES = [
    Body("JSON: empty", JSON, lambda f: b""),
    Body("JSON: empty object", JSON, lambda f: b"{}"),
    Body("JSON: null", JSON, lambda f: b"null"),
    Body("JSON: a list", JSON, lambda f: b'["a", 1]'),
    Body("JSON: 10,000 nested lists", JSON, lambda f: b"[" * 10_000 + b"]" * 10_000),
    Body(
        "JSON: 10,000 nested objects",
        JSON,
        lambda f: b'{"credential": ' * 10_000 + b"{}" + b"}" * 10_000,
    ),
    Body("JSON: 1 MB in all", JSON, lambda f: _json(f, [json.dumps("x" * (MEGABYTE // len(f)))])),
    Body("JSON: NUL bytes", JSON, lambda f: _json(f, ['"a\\u0000b"'])),
    Body("JSON: invalid UTF-8", JSON, lambda f: _json(f, ['"@"']).replace(b"@", b"\xff\xfe")),
    Body("JSON: lone surrogates", JSON, lambda f: _json(f, ['"\\ud800"'])),
    Body(
        "JSON: numbers, booleans and null",
        JSON,
        lambda f: _json(f, ["5", "-1", "1e400", "true", "null"]),
    ),
    Body("JSON: lists and objects", JSON, lambda f: _json(f, ["[]", '["a"]', "{}", '{"a": [1]}'])),
    Body("JSON: a 5,000-digit number", JSON, lambda f: _json(f, ["1" * 5000])),
    Body("text/plain: binary", "text/plain", lambda f: b"\x00\xff\xfe\r\n"),
    Body("form: unknown charset", f"{FORM}; charset=nope", lambda f: _form(f, "\u00e9")),
]
# A page that shows a form reads what is posted as a form, and any other body is an empty form
# to it: one JSON body is enough to say so.
JSON_FOR_FORMS = [b for b in OTHER_BODIES if b.label == "JSON: 10,000 nested lists"]
CANARY = [
    body
    for body in FORM_BODIES + OTHER_BODIES
    if body.label
    in {
        "form: NUL bytes",
        "form: invalid UTF-8",
        "form: unknown charset",
        "JSON: 10,000 nested lists",
    }
]
# Where a page sends a visitor it will not serve: to sign in, to verify first, to the admin's
# sign-in.
DOORS = ("/accounts/login/", "/security-info/verify/", "/admin/login/")


@dataclass(frozen=True)
class KnownDefect:
    """A server error the suite knows of: let through, and required, until it is fixed.

    It must still happen to `visitor` on each of `routes` (on `database` only, if one is named):
    once it no longer does, the suite fails until the entry goes.
    """

    routes: frozenset[str]
    visitor: str
    error: re.Pattern
    database: str | None = None


# Each is a fix for the code it names, outside these suites.
KNOWN_DEFECTS = [
    # On SQLite, an id beyond 64 bits overflows the "id IN (...)" with which Django's
    # ModelMultipleChoiceField checks a choice of groups or permissions (staff only; PostgreSQL
    # answers with the form's message).
    KnownDefect(
        frozenset({"admin:auth_group_add", "admin:auth_group_change", "admin:portal_user_change"}),
        "staff",
        re.compile("OverflowError: Python int too large to convert to SQLite INTEGER"),
        database="sqlite",
    ),
]


def known_defects(route: Route, visitor: str) -> list[KnownDefect]:
    return [
        defect
        for defect in KNOWN_DEFECTS
        if route.name in defect.routes
        and defect.visitor == visitor
        and defect.database in (None, connection.vendor)
    ]


def visitors(route: Route) -> tuple[str, ...]:
    """Who attacks `route`: anyone, a signed-in user, and whoever the page is really for."""
    if route.namespace == "admin":
        return ("anonymous", "signed_in", "staff")
    if route.namespace == "sign_in" or route.name.startswith("account_"):
        return ("anonymous", "signing_in", "signed_in")
    if route.name.startswith("password:reset"):
        return ("anonymous", "resetting", "signed_in")
    return ("anonymous", "signed_in", "sudo")


def _cases():
    for route in all_routes():
        if route.arguments and route.namespace != "admin":
            yield pytest.param(route, "own", id=f"{route}, own object")
            yield pytest.param(route, "someone else's", id=f"{route}, someone else's object")
        else:
            yield pytest.param(route, "", id=str(route))


@pytest.fixture(autouse=True)
def _no_limits(settings):
    """Let every body reach its view: the limits have tests of their own."""
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "1000000/m/ip")


def visitor_client(visitor: str, alice, admin_user) -> Client:
    """A client for `visitor`, whose requests pass the CSRF check as a browser's would.

    The check is made for real (it reads a posted form before the view does), and every
    request carries the token in its header, whatever the body.
    """
    client = Client(
        enforce_csrf_checks=True,
        HTTP_HOST="localhost",  # passkeys' relying party
        HTTP_X_CSRFTOKEN=CSRF_SECRET,
    )
    client.cookies[project_settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    if visitor in ("signed_in", "sudo"):
        client.force_login(alice)
    if visitor == "sudo":
        mark_strong_sign_in(client, alice)
    if visitor == "staff":
        client.force_login(admin_user)
        mark_strong_sign_in(client, admin_user)
    if visitor == "signing_in":
        start_sign_in(client, alice)
    if visitor == "resetting":
        client.post(reverse("password:reset"), {"email": alice.email})
    return client


def _post_json(url: str) -> Callable:
    return lambda client, things: client.post(url, "{}", content_type=JSON)


def _change(url_name: str, kind: str, data: dict) -> Callable:
    return lambda client, things: client.post(reverse(url_name, args=[things[kind].pk]), data)


# What a visitor does first, so that the page's form is the one in use: start the ceremony, or
# the change whose code the page checks.
PREPARE: dict[str, Callable] = {
    "sign_in:passkey": _post_json("/accounts/passkey/options/"),
    "sign_in:passkey_verify": _post_json("/accounts/verify/passkey/options/"),
    "security_info:passkey_register": _post_json("/security-info/passkeys/add/options/"),
    "security_info:passkey_sudo": _post_json("/security-info/verify/passkey/options/"),
    "security_info:verify_phone": _change(
        "security_info:change_mobile_phone",
        "mobile_phone",
        {"region": "GB", "number": "+447700900555", "channel": "sms"},
    ),
    "security_info:verify_email": _change(
        "security_info:change_email", "email", {"email": "new.home@example.com"}
    ),
    "password:reset_code": lambda client, things: client.post(
        reverse("password:reset_choose"), {"option": "mobile_text"}
    ),
}
PREPARE["security_info:resend_phone_code"] = PREPARE["security_info:verify_phone"]
PREPARE["security_info:resend_email_code"] = PREPARE["security_info:verify_email"]


def form_fields(page) -> list[str]:
    """The names in the page's forms, and the usual ones."""
    names = set(USUAL_FIELDS) | own_fields(page)
    # An admin formset asked for a billion forms builds a thousand more than its maximum, by
    # Django's design: slow rather than dangerous, and seconds per page for this suite.
    return sorted(name for name in names if not name.endswith(_FORMSET_COUNTS))


def is_page(response) -> bool:
    return response.status_code == 200 and "html" in response.get("Content-Type", "")


def own_fields(page) -> set[str]:
    """The names in the forms of the page, if it is one."""
    if not is_page(page):
        return set()
    return set(_FORM_FIELD.findall(page.content.decode())) - {"csrfmiddlewaretoken"}


def send(client: Client, url: str, body: Body, fields: list[str]):
    """Send one body and undo whatever it changed, the session included."""
    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    try:
        with transaction.atomic():
            if body.method == "GET":
                response = client.get(url, QUERY_STRING=body.make(fields).decode("latin-1"))
            else:
                response = client.generic("POST", url, body.make(fields), body.content_type)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response


def turned_away(response) -> bool:
    """Tell whether the page sent the visitor off before its view read anything."""
    if response.status_code == 405:
        return True
    return response.status_code == 302 and urlsplit(response["Location"]).path in DOORS


def outcome(client: Client, url: str, body: Body, fields: list[str]):
    """Send one body; return the answer (None if the view raised) and what failed, if anything."""
    try:
        response = send(client, url, body, fields)
    except Exception as e:  # the test client raises what the view raised
        return None, f"{body.label}: {type(e).__name__}: {str(e)[:200]}"
    if response.status_code >= 500:
        return response, f"{body.label}: {response.status_code}"
    return response, ""


def attack(client: Client, url: str, page) -> list[str]:
    """Send the bodies the page calls for; return what failed, one "label: what happened" each."""
    fields, has_form = form_fields(page), bool(own_fields(page))
    first, failure = outcome(client, url, FORM_BODIES[0], fields)
    failures = [failure] if failure else []
    if (first is not None and turned_away(first)) or (is_page(page) and not has_form):
        rest = CANARY
    elif has_form:
        rest = FORM_BODIES[1:] + JSON_FOR_FORMS
    else:
        rest = FORM_BODIES[1:] + OTHER_BODIES
    for body in rest:
        _response, failure = outcome(client, url, body, fields)
        if failure:
            failures.append(failure)
    return failures


def test_the_walk_finds_every_part_of_the_site():
    names = {route.name for route in all_routes()}
    assert {
        "portal:dismiss_browser_notice",
        "account_login",
        "sign_in:passkey",
        "security_info:passkey_register",
        "password:strength",
        "api:me",
        "admin:index",
        "admin:portal_user_change",
    } <= names


@pytest.mark.parametrize(("route", "owner"), list(_cases()))
def test_no_body_gets_a_server_error(world, alice, charlie, admin_user, route, owner):
    url = world.url(route, charlie if owner == "someone else's" else alice)
    failures = []
    for visitor in visitors(route):
        client = visitor_client(visitor, alice, admin_user)
        if route.name in PREPARE:
            assert PREPARE[route.name](client, world.belongings[alice.pk]).status_code < 500
        page = client.get(url)
        assert page.status_code < 500, f"GET {url} as {visitor}: {page.status_code}"
        known = known_defects(route, visitor)
        seen = set()
        for failure in attack(client, url, page):
            matching = {defect for defect in known if defect.error.search(failure)}
            seen |= matching
            if not matching:
                failures.append(f"as {visitor}, {failure}")
        failures += [
            f"as {visitor}, fixed: {defect.error.pattern!r} no longer happens; remove it from "
            "KNOWN_DEFECTS"
            for defect in known
            if defect not in seen
        ]
    assert not failures, f"{url}:\n" + "\n".join(failures)


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(_basic(b"x" * MEGABYTE), id="1 MB"),
        pytest.param(_basic(b"a" * 100_000 + b"@example.com:abcd-efgh-ijkl-mnop"), id="long email"),
        pytest.param(_basic(b"alice@northwind.example:" + b"a" * 100_000), id="long password"),
        pytest.param(_basic("\u202eécole@exämple.com:abcd".encode()), id="odd email"),
        pytest.param(_basic(b"alice@northwind.example\t:abcd-efgh-ijkl-mnop"), id="tab"),
        pytest.param(_basic(b"alice@northwind.example:\xff\xfe"), id="invalid UTF-8 password"),
        pytest.param("Basic " + "\u00e9" * 100, id="not base64"),
        pytest.param("Basic YWxpY2U6cGFzcw", id="unpadded"),
        pytest.param("basic\x00" + _basic(b"a:b"), id="NUL"),
    ],
)
def test_no_authorization_header_gets_a_server_error_from_the_api(client, alice, header):
    response = client.get(reverse("api:me"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
