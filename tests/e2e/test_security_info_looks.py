"""How the Security info pages look: columns that line up, choice lists, spacing, at desktop and
at 360 px, in light and dark (element positions compared, axe run, screenshots saved)."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from portal.delivery import recent_outbox
from security_info.models import Method, RecoveryCode, SecurityAnswer, SecurityQuestion
from tests.factories import PASSWORD, make_organization, make_user
from tests.security_info.conftest import (
    add_authenticator,
    add_email,
    add_passkey,
    add_phone,
    give_codes,
    make_app_password,
)

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
LOOKS = [
    pytest.param(DESKTOP, "light", id="desktop-light"),
    pytest.param(PHONE, "dark", id="360-dark"),
    pytest.param(PHONE, "light", id="360-light"),
    pytest.param(DESKTOP, "dark", id="desktop-dark"),
]


@pytest.fixture
def alice(transactional_db):
    """Alice in London, with one of every kind of method her organization allows."""
    organization = make_organization(name="Northwind Traders", primary_domain="northwind.example")
    AuthenticationPolicy.objects.create(organization=organization, allow_app_passwords=True)
    return make_user(
        "alice@northwind.example",
        organization=organization,
        given_name="Alice",
        surname="Archer",
        time_zone="Europe/London",
    )


@pytest.fixture
def app(alice):
    method, totp = add_authenticator(alice, name="Pixel")
    Method.objects.filter(pk=method.pk).update(
        is_default=True, last_used_at=timezone.now() - timedelta(seconds=20)
    )
    add_phone(alice, channel="sms")
    add_phone(
        alice,
        phone="+442079460123",
        kind=Method.Kind.OFFICE_PHONE,
        extension="210",
        channel="voice",
    )
    add_phone(alice, phone="+4915112345678", kind=Method.Kind.ALTERNATE_PHONE, channel="voice")
    add_email(alice)
    add_passkey(alice, name="Laptop")
    make_app_password(alice, name="Mail on my tablet")
    give_codes(alice, "1111222233", "4444555566")
    # The pool a migration fills is gone after the first test that flushed the database.
    for n, text in enumerate(["Your first pet?", "Your first school?", "Your first car?"]):
        question, _new = SecurityQuestion.objects.get_or_create(text=text, position=n)
        SecurityAnswer.objects.create(user=alice, question=question, answer_hash="x")
    return totp


def look(page, viewport, scheme) -> str:
    page.set_viewport_size(viewport)
    page.emulate_media(color_scheme=scheme)
    return f"{viewport['width']}-{scheme}"


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def same(values: list[float]) -> bool:
    return max(values) - min(values) <= 1


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_every_row_s_detail_starts_at_the_same_x_whatever_its_actions(
    live_server, page, sign_in, alice, app, axe, screenshot, viewport, scheme
):
    base = live_server.url
    sign_in(page, alice, totp=app)
    name = look(page, viewport, scheme)
    page.goto(base + "/security-info/")
    rows = page.locator(".method")
    assert rows.count() == 10
    details = [box(rows.nth(n).locator(".method__detail"))["x"] for n in range(rows.count())]
    assert same(details), details
    # One link or two, the actions column ends at the same x.
    ends = [
        box(rows.nth(n).locator(".method__actions a").last)["x"]
        + box(rows.nth(n).locator(".method__actions a").last)["width"]
        for n in range(rows.count())
    ]
    if viewport is DESKTOP:
        assert same(ends), ends
        assert len({round(x) for x in details}) == 1
    # Numbers as Alice, in London, writes them; each action names its thing once.
    shown = page.locator(".method__value").all_inner_texts()
    assert {"07700 900123", "020 7946 0123 ext. 210", "+49 1511 2345678"} <= set(shown)
    assert page.get_by_role("link", name="Delete phone 07700 900123", exact=True).is_visible()
    assert page.get_by_role("link", name="Delete security questions", exact=True).is_visible()
    assert page.get_by_role("link", name="Rename passkey Laptop", exact=True).is_visible()
    assert page.get_by_text("last used just now").is_visible()
    # What can't be added is one quiet line.
    assert page.get_by_text("You have the most you can add").count() == 0
    assert page.locator(".add-list__set-up").inner_text() == (
        "Already set up: Phone, Alternate phone, Office phone, Email, Security questions, "
        "and Recovery codes."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    axe(page)
    screenshot(page, f"looks-security-info-{name}")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_each_choice_s_label_sits_beside_its_radio(
    live_server, page, sign_in, alice, app, axe, screenshot, viewport, scheme
):
    base = live_server.url
    sign_in(page, alice, totp=app)
    name = look(page, viewport, scheme)
    phone = Method.objects.get(user=alice, kind=Method.Kind.MOBILE_PHONE)
    for path, shot, count in [
        ("/security-info/default/", "default-method", 6),
        (f"/security-info/phone/{phone.pk}/change/", "change-phone", 2),
    ]:
        page.goto(base + path)
        choices = page.locator("fieldset.choices .choice")
        assert choices.count() == count
        for n in range(count):
            choice = choices.nth(n)
            radio, text = box(choice.locator("input")), box(choice.locator(".choice__label"))
            assert radio["width"] >= 20  # not the 13 px default
            assert radio["height"] >= 20
            assert box(choice)["height"] >= 44  # the whole choice is the target
            assert text["x"] >= radio["x"] + radio["width"]  # beside the radio, never under
            assert text["y"] <= radio["y"] + radio["height"] / 2
        # The focused choice shows a ring.
        choices.first.locator("input").focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowUp")
        outline = choices.first.evaluate("e => getComputedStyle(e).outlineStyle")
        assert outline == "solid"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        axe(page)
        screenshot(page, f"looks-{shot}-{name}")
    page.goto(base + f"/security-info/methods/{phone.pk}/delete/")
    assert page.get_by_text("You will no longer be able to use 07700 900123").is_visible()
    axe(page)
    screenshot(page, f"looks-delete-phone-{name}")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_send_a_new_code_stands_apart_from_the_buttons(
    live_server, page, sign_in, alice, app, axe, screenshot, viewport, scheme
):
    base = live_server.url
    sign_in(page, alice, totp=app)
    name = look(page, viewport, scheme)
    phone = Method.objects.get(user=alice, kind=Method.Kind.MOBILE_PHONE)
    page.goto(base + f"/security-info/phone/{phone.pk}/change/")
    page.get_by_label("Phone number").fill("07400 123456")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(base + "/security-info/phone/verify/")
    assert page.get_by_text("We just texted a 6-digit code to 07400 123456").is_visible()
    apart(page)
    assert page.get_by_text("Didn't get a code?").is_visible()
    axe(page)
    screenshot(page, f"looks-verify-phone-{name}")

    email = Method.objects.get(user=alice, kind=Method.Kind.EMAIL)
    page.goto(base + f"/security-info/email/{email.pk}/change/")
    page.get_by_label("Email address").fill("alice.home@example.org")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(base + "/security-info/email/verify/")
    apart(page)
    axe(page)
    screenshot(page, f"looks-verify-email-{name}")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS[:2])
def test_the_security_questions_page_has_no_browser_boxes(
    live_server, page, sign_in, alice, app, axe, screenshot, viewport, scheme
):
    SecurityAnswer.objects.filter(user=alice).delete()
    base = live_server.url
    sign_in(page, alice, totp=app)
    name = look(page, viewport, scheme)
    page.goto(base + "/security-info/security-questions/add/")
    fieldset = page.locator("form fieldset").first
    assert fieldset.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    axe(page)
    screenshot(page, f"looks-security-questions-{name}")


def apart(page) -> None:
    """Assert "Send a new code" stands at least 16 px below the form's buttons."""
    buttons = box(page.locator(".form__actions").first)
    resend = box(page.get_by_role("button", name="Send a new code"))
    assert resend["y"] >= buttons["y"] + buttons["height"] + 16


def last_code() -> str:
    return re.search(r"\d{6}", recent_outbox()[0]["body"])[0]  # type: ignore[index]


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS[:2])
def test_the_sign_in_and_sudo_verify_pages_set_send_a_new_code_apart(
    live_server, page, alice, app, axe, screenshot, settings, viewport, scheme
):
    AuthenticationPolicy.objects.update(remember_browser_days=30)
    base = live_server.url
    name = look(page, viewport, scheme)
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email address").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(base + "/accounts/verify/")
    page.get_by_text("Sign in another way").click()
    page.get_by_role("button", name=re.compile("^Text a code to")).click()
    page.wait_for_url(base + "/accounts/verify/")
    apart(page)
    # "Don't ask again" wraps beside its checkbox, never under it.
    check = box(page.get_by_role("checkbox"))
    label = box(page.locator("label[for=id_remember]"))
    assert label["x"] >= check["x"] + check["width"]
    assert label["y"] <= check["y"] + check["height"] / 2
    axe(page)
    screenshot(page, f"looks-sign-in-verify-{name}")
    page.get_by_label("Code").fill(last_code())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(base + "/")

    settings.SUDO_SECONDS = 1  # the sign-in is old news: Security info asks again
    time.sleep(1.1)
    page.goto(base + "/security-info/")
    page.wait_for_url(re.compile(r"/security-info/verify/"))
    page.get_by_text("Verify another way").click()
    page.get_by_role("button", name="Text a code to 07700 900123").click()
    page.get_by_role("button", name="Text me a code").click()
    assert page.get_by_text("We texted a code to 07700 900123").is_visible()
    apart(page)
    axe(page)
    screenshot(page, f"looks-sudo-verify-{name}")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS[:2])
def test_first_recovery_codes_do_not_speak_of_old_ones(
    live_server, page, sign_in, alice, app, axe, screenshot, viewport, scheme
):
    RecoveryCode.objects.filter(user=alice).delete()
    base = live_server.url
    sign_in(page, alice, totp=app)
    name = look(page, viewport, scheme)
    page.goto(base + "/security-info/recovery-codes/")
    page.get_by_role("button", name="Create 10 codes").click()
    page.wait_for_url(base + "/security-info/recovery-codes/new/")
    assert page.get_by_text("this is the only time you will see them").is_visible()
    assert page.get_by_text("Your old codes no longer work").count() == 0
    axe(page)
    screenshot(page, f"looks-recovery-codes-{name}")
