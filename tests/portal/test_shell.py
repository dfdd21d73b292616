"""What every page's frame links to, whichever way the page was rendered."""

from django.templatetags.static import static
from django.test import Client


def test_a_page_expired_by_csrf_still_has_its_stylesheet_and_script(db):
    """Django renders this page without the request's context processors."""
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "a@b.example"})
    assert response.status_code == 403
    html = response.content.decode()
    assert f'<link rel="stylesheet" href="{static("portal/portal.css")}">' in html
    assert f'<script src="{static("portal/portal.js")}"' in html
    assert f'<use href="{static("portal/icons.svg")}#shield">' in html


def test_a_portal_page_links_its_stylesheet_script_and_icon(alice_client):
    html = alice_client.get("/").content.decode()
    assert f'href="{static("portal/portal.css")}"' in html
    assert f'src="{static("portal/portal.js")}"' in html
    assert f'href="{static("portal/favicon.svg")}"' in html
    assert f'<use href="{static("portal/icons.svg")}#' in html


def test_the_shell_links_to_the_overview_and_signs_out_by_post(alice_client):
    html = alice_client.get("/password/").content.decode()
    assert '<a class="topbar__brand" href="/">' in html
    assert '<form method="post" action="/accounts/logout/">' in html
