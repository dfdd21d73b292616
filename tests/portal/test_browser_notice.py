"""Dismissing the "update your browser" banner: where it goes back to, and how often."""

import pytest

from portal.context_processors import BROWSER_NOTICE_COOKIE

URL = "/browser-notice/dismiss/"


@pytest.mark.parametrize(
    "target",
    ["abc", "overview", "portal:overview", "-1", "a\x00b", "./security-info/", "../", " "],
)
def test_a_next_that_is_not_a_path_goes_home_instead_of_failing(client, db, target):
    response = client.post(URL, {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_path_on_this_site_is_where_it_goes_back_to(client, db):
    response = client.post(URL, {"next": "/security-info/?tab=1"})
    assert response["Location"] == "/security-info/?tab=1"


def test_a_list_for_next_goes_home(client, db):
    response = client.post(
        URL, "next[]=/security-info/", content_type="application/x-www-form-urlencoded"
    )
    assert response["Location"] == "/"


def test_dismissing_is_rate_limited_per_address(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "dismiss_notice": "2/m/ip"}
    for _ in range(2):
        assert client.post(URL, {"next": "/"}).status_code == 302
    response = client.post(URL, {"next": "/"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert BROWSER_NOTICE_COOKIE not in response.cookies
    assert client.post(URL, {"next": "/"}, REMOTE_ADDR="198.51.100.7").status_code == 302
