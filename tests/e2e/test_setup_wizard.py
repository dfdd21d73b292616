""" "Keep your account secure" and the review in a real browser: two methods step by step (an
authenticator app proved with real codes, then security questions), the summary, and "Looks
good", each page checked by axe in light and dark and at 360 px."""

from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from security_info.models import RegistrationStatus, SecurityQuestion
from tests.factories import PASSWORD, make_organization, make_user
from tests.security_info.conftest import add_email

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contoso(transactional_db):
    """Multi-factor sign-in required, and two methods to reset a password (security
    questions among those people may choose: the questions a migration adds are gone once an
    earlier browser test's database was flushed)."""
    for n, text in enumerate(
        [
            "In what city did your parents meet?",
            "What was the name of your first pet?",
            "What is your favorite animal?",
            "What was your first car?",
        ]
    ):
        SecurityQuestion.objects.get_or_create(text=text, defaults={"position": n})
    organization = make_organization(name="Contoso", primary_domain="contoso.example")
    AuthenticationPolicy.objects.create(
        organization=organization,
        allow_passkeys=False,
        reset_registration_required=True,
        reset_gates=2,
    )
    return organization


@pytest.fixture
def megan(contoso):
    return make_user(
        "megan@contoso.example", organization=contoso, given_name="Megan", surname="Bowen"
    )


def sign_in(page, base, email, next_url=""):
    page.goto(base + "/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def check_everywhere(page, axe, screenshot, name):
    """axe in light and dark, at desktop width and at 360 px (nothing wider than the screen);
    a screenshot of each."""
    for width, height in [(1280, 800), (360, 740)]:
        page.set_viewport_size({"width": width, "height": height})
        for scheme in ["light", "dark"]:
            page.emulate_media(color_scheme=scheme)
            axe(page)
            screenshot(page, f"{name}-{width}-{scheme}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 800})
    page.emulate_media(color_scheme="light")


def current_step(page) -> str:
    return page.locator('.wizard-steps [aria-current="step"]').inner_text()


def test_a_new_user_registers_two_methods_step_by_step(live_server, page, megan, axe, screenshot):
    base = live_server.url
    sign_in(page, base, megan.email, next_url="/password/")
    page.wait_for_url(base + "/security-info/setup/")
    assert page.get_by_text("Step 1 of 2").is_visible()
    assert "Sign-in method" in current_step(page)
    assert page.locator("#portal-nav").count() == 0
    assert page.get_by_role("button", name="Not now").count() == 0
    check_everywhere(page, axe, screenshot, "wizard-step-1")

    page.get_by_role("link", name="Authenticator app").click()
    page.wait_for_url(base + "/security-info/authenticator/add/")
    assert page.locator("#portal-nav").count() == 0  # the wizard's layout, still
    page.get_by_text("Can't scan the QR code?").click()
    check_everywhere(page, axe, screenshot, "wizard-add-authenticator")
    secret = page.locator("code.secret").first.inner_text()
    page.get_by_label("Name").fill("My phone")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Add").click()

    page.wait_for_url(base + "/security-info/setup/")
    assert page.get_by_text("Step 2 of 2").is_visible()
    assert "Password reset method" in current_step(page)
    done = page.locator(".wizard-steps__step--done")
    assert done.inner_text().replace("\n", " ").strip().endswith("Authenticator app (done)")
    # A method that resets nothing is not offered; "Not now" is, for what only a reset needs.
    assert page.get_by_role("button", name="Not now").is_visible()
    check_everywhere(page, axe, screenshot, "wizard-step-2")

    page.get_by_text("I want to set up a different method").click()
    page.get_by_role("link", name="Security questions").click()
    page.wait_for_url(base + "/security-info/security-questions/add/")
    for n, answer in enumerate(["Lisbon", "Rex the dog", "Blue whale"], 1):
        page.get_by_label(f"Question {n}").select_option(index=n)
        page.locator(f"#id_answer_{n}").fill(answer)
    page.get_by_role("button", name="Done").click()

    page.wait_for_url(base + "/security-info/setup/")
    assert page.get_by_role("heading", name="You're all set").is_visible()
    summary = page.locator(".summary-list").inner_text()
    assert "Authenticator app" in summary
    assert "Security questions" in summary
    assert page.get_by_text("Next time you sign in, we'll ask for:").is_visible()
    check_everywhere(page, axe, screenshot, "wizard-summary")

    page.get_by_role("button", name="Done").click()
    page.wait_for_url(base + "/password/")
    page.goto(base + "/")
    assert page.get_by_text("Megan Bowen").first.is_visible()


@pytest.fixture
def lynne(transactional_db):
    """Someone whose info was last confirmed more than 180 days ago."""
    organization = make_organization(name="Fabrikam", primary_domain="fabrikam.example")
    AuthenticationPolicy.objects.create(
        organization=organization, mfa_required=False, reset_registration_required=True
    )
    user = make_user("lynne@fabrikam.example", organization=organization, given_name="Lynne")
    add_email(user, "lynne.personal@example.com")
    RegistrationStatus.objects.create(
        user=user, last_confirmed_at=timezone.now() - timedelta(days=200)
    )
    return user


def test_the_review_asks_to_confirm_the_info(live_server, page, lynne, axe, screenshot):
    base = live_server.url
    sign_in(page, base, lynne.email)
    page.wait_for_url(base + "/security-info/review/")
    assert page.get_by_text("lynne.personal@example.com").is_visible()
    check_everywhere(page, axe, screenshot, "review")
    page.get_by_role("link", name="Change my info").click()
    page.wait_for_url(base + "/security-info/")
    axe(page)
    page.get_by_role("link", name="Overview").click()  # the review is still to be answered
    page.wait_for_url(base + "/security-info/review/")
    page.goto(base + "/security-info/")
    page.get_by_role("link", name="Back to the review").click()
    page.wait_for_url(base + "/security-info/review/")
    page.get_by_role("button", name="Looks good").click()
    page.wait_for_url(base + "/")
    lynne.registration_status.refresh_from_db()
    assert timezone.now() - lynne.registration_status.last_confirmed_at < timedelta(minutes=5)
