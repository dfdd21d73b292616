"""Reading a request safely: where `next` may lead."""

import pytest

from portal.http import safe_next


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
