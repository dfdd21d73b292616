"""Security info under a strict policy, in a real browser: a method that can't be deleted yet,
a passkey whose model is blocked, a default the policy no longer allows."""

import pytest

from organizations.models import AuthenticationPolicy
from security_info.models import Method
from tests.factories import make_organization, make_user
from tests.fakes.webauthn import SOFT_KEY_AAGUID
from tests.security_info.conftest import add_authenticator, add_passkey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def diego(transactional_db):
    organization = make_organization(name="Contoso", primary_domain="contoso.example")
    AuthenticationPolicy.objects.create(
        organization=organization,
        passkey_restriction="block",
        passkey_aaguids=SOFT_KEY_AAGUID,
        default_method_kinds=["passkey"],
    )
    return make_user("diego@contoso.example", organization=organization, given_name="Diego")


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_what_cannot_be_done_is_said_before_anyone_tries(
    live_server, page, sign_in, diego, axe, screenshot, scheme, width
):
    app, totp = add_authenticator(diego, name="Pixel")
    Method.objects.filter(pk=app.pk).update(is_default=True)
    add_passkey(diego, name="Blue key")
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)
    sign_in(page, diego, totp=totp)

    page.goto(base + "/security-info/")
    assert page.get_by_text("Blue key · Blocked by your organization").is_visible()
    assert page.get_by_text("Your organization no longer allows the model").is_visible()
    assert page.get_by_text("no longer lets Authenticator app be the default").is_visible()
    why = page.get_by_role("link", name="Why can't I delete it?")
    assert why.count() == 1
    axe(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"security-info-policy-{scheme}-{width}")

    why.click()
    page.wait_for_url(base + f"/security-info/methods/{app.pk}/delete/")
    assert page.get_by_role("heading", name="Authenticator app can't be deleted yet").is_visible()
    assert page.get_by_role("button", name="Delete").count() == 0
    axe(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"delete-blocked-{scheme}-{width}")
    page.get_by_role("link", name="Add another method").click()
    page.wait_for_url(base + "/security-info/#add-method")
    assert Method.objects.filter(pk=app.pk).exists()

    page.goto(base + "/security-info/passkeys/add/")
    assert page.get_by_text("accepts only some makes and models").is_visible()
    axe(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
