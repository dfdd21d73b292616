"""The admin pages helpdesk staff use daily, in a real browser: the Temporary Access Pass and
the temporary password shown once, and the sign-in log at a laptop's width."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from signins.models import SignInEvent
from tests.e2e.conftest import SCREENSHOTS_DIR
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 780}
THEMES = ["light", "dark"]


@pytest.fixture
def administrator(organization):
    return make_user(
        "admin@northwind.example", organization=organization, is_staff=True, is_superuser=True
    )


@pytest.fixture
def admin_page(live_server, page, administrator):
    """The page, signed in as the administrator (a session made server-side)."""
    client = Client()
    client.force_login(administrator)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    return page


def screenshot_path(name: str):
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS_DIR / f"{name}.png"


def no_horizontal_overflow(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def breadcrumbs(page) -> list[tuple[str, str | None]]:
    items = page.locator("nav[aria-label='Breadcrumbs'] ol.breadcrumbs li")
    return [
        (
            item.inner_text().strip(),
            item.locator("a").get_attribute("href") if item.locator("a").count() else None,
        )
        for item in items.all()
    ]


def assert_shown_secret_is_readable(page, secret_id: str) -> str:
    shown = page.locator(f"#{secret_id}")
    size = float(shown.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size >= 24, f"the secret is {size}px"
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("status").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == shown.inner_text().strip()
    return shown.inner_text().strip()


def test_the_issued_pass_is_large_readable_and_copyable(live_server, admin_page, employee):
    page = admin_page
    page.set_viewport_size(DESKTOP)
    issue_pass(page, live_server, employee)
    code = assert_shown_secret_is_readable(page, "temporary-pass")
    assert len(code) == 9  # "abcd-efgh": the default 8 characters, in groups of four
    assert breadcrumbs(page) == [
        ("Home", "/admin/"),
        ("Security info", "/admin/security_info/"),
        ("Temporary access passes", "/admin/security_info/temporaryaccesspass/"),
        ("Temporary Access Pass issued", None),
    ]
    for link in page.locator("ol.breadcrumbs a").all():
        assert page.request.get(live_server.url + link.get_attribute("href")).ok
    page.reload()  # shown once: the pass is gone
    page.wait_for_url("**/temporaryaccesspass/")
    assert "shown only once" in page.locator(".messagelist").inner_text()
    assert code not in page.content()


def test_the_issued_pass_page_in_light_dark_and_narrow(
    live_server, admin_page, employee, axe, screenshot
):
    """The pass is shown once: issue one for each look."""
    page = admin_page
    for theme in THEMES:
        for name, size in [("desktop", DESKTOP), ("phone", PHONE)]:
            page.set_viewport_size(size)
            page.emulate_media(color_scheme=theme)
            page.goto(live_server.url + "/admin/")
            page.evaluate(f"localStorage.setItem('theme', '{theme}')")
            issue_pass(page, live_server, employee)
            page.locator("#temporary-pass").wait_for()
            screenshot(page, f"admin-pass-issued-{theme}-{name}")
            assert no_horizontal_overflow(page)
            axe(page)


def issue_pass(page, live_server, user) -> None:
    page.goto(live_server.url + "/admin/security_info/temporaryaccesspass/add/")
    page.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill(user.email)
    page.locator(".select2-results__option", has_text=str(user)).click()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/issued/")


def test_a_temporary_password_is_confirmed_then_shown_once(
    live_server, admin_page, employee, axe, screenshot
):
    page = admin_page
    for theme in THEMES:
        for name, size in [("desktop", DESKTOP), ("phone", PHONE)]:
            page.set_viewport_size(size)
            page.emulate_media(color_scheme=theme)
            page.goto(live_server.url + f"/admin/portal/user/{employee.pk}/change/")
            page.evaluate(f"localStorage.setItem('theme', '{theme}')")
            page.reload()
            page.get_by_role("button", name="Reset password").click()
            page.wait_for_url(f"**/admin/portal/user/{employee.pk}/password/")
            screenshot(page, f"admin-password-confirm-{theme}-{name}")
            assert page.get_by_text("they are signed out everywhere").is_visible()
            assert no_horizontal_overflow(page)
            axe(page)
            page.get_by_role("button", name="Reset password").click()
            page.locator("#temporary-password").wait_for()
            screenshot(page, f"admin-password-shown-{theme}-{name}")
            password = page.locator("#temporary-password").inner_text().strip()
            assert password not in page.url
            if name == "desktop":
                assert assert_shown_secret_is_readable(page, "temporary-password") == password
            employee.refresh_from_db()
            assert employee.check_password(password)
            assert no_horizontal_overflow(page)
            axe(page)


def test_the_sign_in_log_fits_a_laptop_screen(
    live_server, admin_page, employee, administrator, axe, screenshot
):
    now = timezone.now()
    long_address = "someone.with.a.very.long.name.indeed@subsidiary.northwind-traders.example"
    for i in range(30):
        SignInEvent.objects.create(
            user=employee if i % 3 else None,
            email=employee.email if i % 3 else long_address,
            created_at=now - timedelta(minutes=7 * i),
            result=SignInEvent.Result.FAILURE if i % 2 else SignInEvent.Result.SUCCESS,
            reason=SignInEvent.Reason.TOO_MANY_CODES if i % 2 else "",
            app=SignInEvent.App.API if i % 5 == 0 else SignInEvent.App.PORTAL,
            method="password",
            second_factor="mobile_phone:sms",
            ip="2001:db8:85a3:1234:5678:8a2e:370:7334" if i % 4 else "203.0.113.45",
            country="GB",
            browser="Microsoft Edge 131.0.2903.86",
            os="Windows 11 Enterprise",
            device="desktop",
        )
    page = admin_page
    page.set_viewport_size(DESKTOP)
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        page.goto(live_server.url + "/admin/signins/signinevent/")
        page.evaluate(f"localStorage.setItem('theme', '{theme}')")
        page.reload()
        screenshot(page, f"admin-sign-in-log-{theme}")
        assert page.locator("#result_list tbody tr").count() == 30
        assert no_horizontal_overflow(page)
        table = page.locator("#result_list").bounding_box()
        assert (
            table["x"] + table["width"]
            <= page.locator("#changelist").bounding_box()["x"]
            + (page.locator("#changelist").bounding_box()["width"])
        )
        assert table["x"] + table["width"] <= DESKTOP["width"]
        axe(page)


def test_the_policys_reset_switches_in_light_dark_and_narrow(
    live_server, admin_page, organization, axe
):
    page = admin_page
    for theme in THEMES:
        for name, size in [("desktop", DESKTOP), ("phone", PHONE)]:
            page.set_viewport_size(size)
            page.emulate_media(color_scheme=theme)
            page.goto(
                live_server.url + f"/admin/organizations/organization/{organization.pk}/change/"
            )
            page.evaluate(f"localStorage.setItem('theme', '{theme}')")
            page.reload()
            reset = page.get_by_role("group", name="Self-service password reset")
            reset.scroll_into_view_if_needed()
            reset.screenshot(path=str(screenshot_path(f"admin-policy-reset-{theme}-{name}")))
            assert reset.get_by_label("reset by authenticator app code").is_visible()
            assert no_horizontal_overflow(page)
            axe(page)
