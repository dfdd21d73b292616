"""Reading a request safely: where `next` may lead, and the JSON object a script posted."""

import json

import pytest

from portal.http import JSON_MAX_BYTES, UnreadableBody, bad_request, json_object, safe_next


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/security-info/", "/security-info/"),
        ("/password/?next=/", "/password/?next=/"),
        ("abc", "/"),
        ("portal:overview", "/"),
        ("./x", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        (["/security-info/"], "/"),
        (5, "/"),
    ],
)
def test_only_a_path_on_this_site_is_a_safe_next(rf, target, expected):
    assert safe_next(rf.get("/"), target) == expected


def test_the_fallback_can_be_chosen(rf):
    assert safe_next(rf.get("/"), "abc", "/security-info/") == "/security-info/"


def post(rf, body: bytes, content_type="application/json"):
    return rf.generic("POST", "/", body, content_type=content_type)


def test_it_returns_the_object_posted(rf):
    assert json_object(post(rf, b'{"credential": {"id": "AA"}, "next": "/"}')) == {
        "credential": {"id": "AA"},
        "next": "/",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"null",
        b"[]",
        b'"credential"',
        b"5",
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a": ' * 10_000 + b"1" + b"}" * 10_000,
        b'{"a": [[[[[[[[[]]]]]]]]]}',
        b'{"n": ' + b"1" * 5000 + b"}",
        b'{"credential": "' + b"x" * JSON_MAX_BYTES + b'"}',
    ],
)
def test_anything_but_a_small_shallow_object_is_unreadable(rf, body):
    with pytest.raises(UnreadableBody):
        json_object(post(rf, body))


def test_it_refuses_a_long_body_before_reading_it(rf):
    request = post(rf, b"{}")
    request.META["CONTENT_LENGTH"] = str(JSON_MAX_BYTES + 1)
    with pytest.raises(UnreadableBody):
        json_object(request)


def test_a_body_already_read_as_a_form_is_unreadable(rf):
    request = rf.post("/", {"credential": "x"})
    request.POST  # noqa: B018  (a multipart body can be read only once)
    with pytest.raises(UnreadableBody):
        json_object(request)


def test_the_depth_allowed_is_what_webauthn_needs(rf):
    credential = {"response": {"clientExtensionResults": {"credProps": {"rk": True}}}}
    assert json_object(post(rf, json.dumps({"credential": credential}).encode()))


def test_bad_request_answers_in_the_shape_of_every_json_error():
    response = bad_request("Your browser's answer could not be read.")
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "error": "bad_request",
        "message": "Your browser's answer could not be read.",
    }
