"""Nobody reaches another person's objects: every object URL answers an outsider 404.

The object URLs are found, not listed: every pattern of the project with an argument is one,
so a new object page is attacked as soon as it exists, and fails here until
tests/security/conftest.py says what it is about. The outsider is signed in with a fresh strong
sign-in (sudo mode), so nothing but ownership stands between them and the page; the answer must
be 404, the same as for an object that does not exist, and the owner's rows stay as they were.

The pages without an id act on the signed-in person's own things (the Temporary Access Pass,
security questions, /api/me, which answers for the account whose app password is given: see
tests/security_info/app_passwords). The admin's object pages are for staff only, and show
anyone else the same sign-in door whether the object exists or not.
"""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.security.conftest import (
    CALLBACKS,
    MISSING_ID,
    OBJECT_OF_ROUTE,
    give_everything,
    rows_of,
)
from tests.security.routes import all_routes
from tests.security_info.conftest import mark_strong_sign_in

ROUTES = all_routes()
OBJECT_ROUTES = [
    r for r in ROUTES if r.arguments and r.namespace != "admin" and r.name not in CALLBACKS
]
ADMIN_OBJECT_ROUTES = [
    r for r in ROUTES if r.namespace == "admin" and {"object_id", "id", "pk"} & set(r.arguments)
]
# What a page that forgot to check the owner would take and save.
PLAUSIBLE_CHANGE = {
    "name": "Mine now",
    "region": "GB",
    "number": "+447700900999",
    "channel": "sms",
    "email": "mine@example.com",
    "extension": "1",
}
NOT_AN_ID = ["0", "-1", "abc", "1.5", "1e3", "99999999999999999999", "%00"]


def sudo(user) -> Client:
    client = Client()
    client.force_login(user)
    mark_strong_sign_in(client, user)
    return client


def test_the_suite_finds_the_object_urls():
    assert {r.name for r in OBJECT_ROUTES} >= set(OBJECT_OF_ROUTE) - CALLBACKS
    assert ADMIN_OBJECT_ROUTES


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_every_object_url_says_what_it_is_about(route):
    assert route.name in OBJECT_OF_ROUTE, (
        f"{route} is an object URL with no fixture: name what it is about in OBJECT_OF_ROUTE"
    )


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_the_owner_reaches_each_object_url(world, alice, route):
    assert sudo(alice).get(world.url(route, alice)).status_code == 200


@pytest.mark.parametrize("outsider", ["bob", "charlie"])
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_an_outsider_gets_404_and_changes_nothing(world, alice, route, outsider, request):
    url = world.url(route, alice)
    before = rows_of(alice)
    someone = request.getfixturevalue(outsider)
    if someone.pk not in world.belongings:  # with things of their own of every kind
        world.belongings[someone.pk] = give_everything(someone)
    client = sudo(someone)
    assert client.get(url).status_code == 404
    assert client.post(url, PLAUSIBLE_CHANGE).status_code == 404
    assert rows_of(alice) == before


@pytest.mark.parametrize("pk", NOT_AN_ID)
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_an_id_that_is_no_object_is_404(world, alice, route, pk):
    client = sudo(alice)
    before = rows_of(alice)
    url = route.url(pk=pk)
    assert client.get(url).status_code == 404
    assert client.post(url, PLAUSIBLE_CHANGE).status_code == 404
    assert rows_of(alice) == before


@pytest.mark.parametrize("route", ADMIN_OBJECT_ROUTES, ids=str)
def test_the_admin_shows_anyone_but_staff_the_same_door_for_every_object(world, alice, route):
    client = sudo(alice)
    real = world.url(route, alice)
    missing = route.url(**dict.fromkeys(route.arguments, MISSING_ID))
    for method in (client.get, client.post):
        answers = [method(url) for url in (real, missing)]
        assert [a.status_code for a in answers] == [302, 302]
        assert {urlsplit(a["Location"]).path for a in answers} == {"/admin/login/"}
