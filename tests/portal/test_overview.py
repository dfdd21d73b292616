"""The Overview page: the profile card and one tile per portal page that exists."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy as _

from organizations.models import Membership
from portal import navigation
from portal.navigation import PortalPage, Tile
from signins.models import SignInEvent
from tests.factories import make_organization, make_user


def test_it_shows_the_profile_the_organization_manages(alice_client):
    response = alice_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Alice Archer",
        "alice@northwind.example",
        "Engineer",
        "Research",
        "Building 1",
        "+1 425 555 0100",
        "Your organization manages this information.",
    ]:
        assert text in html
    assert 'href="https://help.northwind.example/"' in html


def test_the_header_names_the_home_organization_and_not_a_guest_one(alice_client, alice):
    Membership.objects.create(
        user=alice, organization=make_organization(name="Guest Corp"), kind=Membership.Kind.GUEST
    )
    html = alice_client.get("/").content.decode()
    assert '<span class="topbar__org">Northwind Traders</span>' in html
    assert "Guest Corp" not in html


def test_a_user_without_an_organization_still_gets_the_page(client, db):
    client.force_login(make_user("loner@example.com"))
    response = client.get("/")
    assert response.status_code == 200
    assert b"topbar__org" not in response.content


def test_the_avatar_shows_initials_when_there_is_no_photo(alice_client):
    assert b'<span class="avatar avatar--xlarge" aria-hidden="true">AA</span>' in (
        alice_client.get("/").content
    )


def test_the_navigation_marks_the_current_page(alice_client):
    html = alice_client.get("/").content.decode()
    assert 'href="/" aria-current="page"' in html


def test_the_overview_only_accepts_get(alice_client):
    assert alice_client.post("/").status_code == 405


@pytest.fixture
def extra_page(monkeypatch):
    """Register a page the way a page-app's AppConfig does."""
    page = PortalPage(
        label=_("Sign-ins"),
        url_name="portal:overview",
        icon="activity",
        order=70,
        tile=Tile(
            description=_("See when and where your account was used."),
            link_text=_("Review recent activity"),
            summary="tests.portal.test_overview.count_sign_ins",
        ),
    )
    pages = (*navigation.portal_pages(), page)
    monkeypatch.setattr(navigation, "portal_pages", lambda: pages)  # the tiles and the nav
    return page


def count_sign_ins(request) -> str:
    return f"{SignInEvent.objects.filter(user=request.user).count()} sign-ins"


def test_each_registered_page_gets_a_tile_and_a_nav_entry(alice_client, extra_page):
    html = alice_client.get("/").content.decode()
    assert "Review recent activity" in html
    assert "See when and where your account was used." in html
    assert "0 sign-ins" in html
    assert html.count("#activity") == 2  # nav icon and tile icon


def test_without_page_apps_there_are_no_tiles(alice_client, monkeypatch):
    overview_only = navigation.portal_pages()[:1]
    monkeypatch.setattr(navigation, "portal_pages", lambda: overview_only)
    assert b'class="card tile"' not in alice_client.get("/").content


def test_the_pages_that_exist_are_registered_in_order():
    assert [page.url_name for page in navigation.portal_pages()] == [
        "portal:overview",
        "security_info:index",
        "password:change",
    ]


def grow(organization, users: int, events_per_user: int) -> None:
    people = [make_user(organization=organization) for _ in range(users)]
    for person in people:
        Membership.objects.create(
            user=person, organization=make_organization(), kind=Membership.Kind.GUEST
        )
    SignInEvent.objects.bulk_create(
        SignInEvent(user=person, result=SignInEvent.Result.SUCCESS)
        for person in people
        for _ in range(events_per_user)
    )


@pytest.mark.parametrize("size", [1, 20])
def test_the_overview_takes_the_same_few_queries_whatever_the_data_size(
    alice_client, alice, northwind, extra_page, django_assert_num_queries, size
):
    grow(northwind, users=size, events_per_user=size)
    SignInEvent.objects.bulk_create(
        SignInEvent(user=alice, result=SignInEvent.Result.SUCCESS) for _ in range(size * 10)
    )
    # Session, user, the methods for the Security info tile, the extra tile's count, and the
    # home organization for the top bar; the password tile needs none.
    with django_assert_num_queries(5):
        response = alice_client.get("/")
    assert response.status_code == 200
    # Then the methods and the organization come from the cache: session, user, extra tile.
    with django_assert_num_queries(3):
        response = alice_client.get("/")
    assert response.status_code == 200


def test_the_overview_query_count_does_not_grow_with_the_data(alice_client, northwind, extra_page):
    alice_client.get("/")  # what the cache keeps is read once
    with CaptureQueriesContext(connection) as small:
        alice_client.get("/")
    grow(northwind, users=30, events_per_user=30)
    alice_client.get("/")  # new organizations: the policies are read again, once
    with CaptureQueriesContext(connection) as large:
        alice_client.get("/")
    assert len(large) == len(small) <= 12


# A 1x1 transparent GIF: the smallest image Pillow accepts.
TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def test_the_users_own_photo_replaces_the_initials(alice_client, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    alice.photo.save("alice.gif", ContentFile(TINY_GIF))
    html = alice_client.get("/").content.decode()
    assert '<img class="avatar avatar--xlarge" src="/me/photo/" alt="">' in html
    response = alice_client.get("/me/photo/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TINY_GIF
    assert "private" in response["Cache-Control"]


def test_the_photo_url_serves_only_the_signed_in_users_photo(
    client, alice, bob, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    alice.photo.save("alice.gif", ContentFile(TINY_GIF))
    client.force_login(bob)
    assert client.get("/me/photo/").status_code == 404
    client.logout()
    assert client.get("/me/photo/").status_code == 302  # to the sign-in page


def test_a_missing_photo_file_is_a_404_not_an_error(alice_client, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    alice.photo.name = "photos/gone.gif"
    alice.save()
    assert alice_client.get("/me/photo/").status_code == 404
