"""Browser tests: headless Debian Chromium driven by Playwright against pytest-django's live server.

Nothing is downloaded: Playwright launches the Chromium that Debian installs (or CHROMIUM_PATH).
Without one, every test here is skipped with a notice, unless REQUIRE_BROWSER=1 (as in CI),
in which case they fail.
"""

import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from organizations.models import AuthenticationPolicy
from tests.factories import PASSWORD, make_organization, make_user

# Playwright's sync API runs an event loop in the main thread, so Django would otherwise refuse
# every ORM call made from a test ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

E2E_DIR = Path(__file__).resolve().parent
SCREENSHOTS_DIR = E2E_DIR.parents[1] / "test-results" / "screenshots"

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NO_CHROMIUM = (
    f"browser tests skipped: no Chromium at {CHROMIUM_PATH}; "
    "install Debian's chromium or set CHROMIUM_PATH"
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium_available() -> bool:
    return shutil.which(CHROMIUM_PATH) is not None


def browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip() == "1"


_E2E_COLLECTED = pytest.StashKey[bool]()


def _is_e2e(item: pytest.Item) -> bool:
    return E2E_DIR in Path(item.path).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: touch only the ones in this directory.
    e2e_items = [item for item in items if _is_e2e(item)]
    skip = not chromium_available() and not browser_required()
    for item in e2e_items:
        item.add_marker(pytest.mark.browser)
        if skip:
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))
    config.stash[_E2E_COLLECTED] = bool(e2e_items)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if chromium_available() or not config.stash.get(_E2E_COLLECTED, False):
        return
    if browser_required():
        message = NO_CHROMIUM.replace("skipped", "FAILED (REQUIRE_BROWSER=1)")
    else:
        message = NO_CHROMIUM
    terminalreporter.section("browser tests", sep="=", yellow=True, bold=True)
    terminalreporter.write_line(message, yellow=True, bold=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not chromium_available():
        # Only reached with REQUIRE_BROWSER=1: without it the tests were skipped at collection.
        pytest.fail(NO_CHROMIUM.replace("skipped", "failed (REQUIRE_BROWSER=1)"), pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    # Shadows pytest-playwright 0.10's fallback, a fixture defined as a method, which pytest 9
    # deprecates (PytestRemovedIn10Warning). The tests use live_server.url anyway.
    return pytestconfig.getoption("--base-url") or None


@pytest.fixture
def axe():
    """Call axe(page) to assert the page has no WCAG 2.2 A/AA violations that axe can detect."""
    engine = Axe()

    def check(page) -> None:
        results = engine.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


@pytest.fixture
def screenshot():
    """Call screenshot(page, "name") to save test-results/screenshots/name.png for review."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def organization(transactional_db):
    """Northwind, asking nothing after the password (no multi-factor sign-in, no registration
    for a reset) so the shell's tests sign in directly."""
    organization = make_organization(name="Northwind Traders", primary_domain="northwind.example")
    AuthenticationPolicy.objects.create(
        organization=organization, mfa_required=False, reset_registration_required=False
    )
    return organization


@pytest.fixture
def employee(organization):
    """An employee the live server can see (committed, not inside a test transaction)."""
    return make_user(
        "alice@northwind.example",
        organization=organization,
        given_name="Alice",
        surname="Archer",
        job_title="Engineer",
    )


@pytest.fixture
def sign_in(live_server):
    """Call sign_in(page, user) to sign in through the form, with `totp` (a pyotp.TOTP) for
    the second step when the user has an authenticator app; it returns on the overview."""

    def submit(page, user, password: str = PASSWORD, totp=None) -> None:
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        if totp is not None:
            page.wait_for_url(live_server.url + "/accounts/verify/")
            page.get_by_label("Code").fill(totp.now())
            page.get_by_role("button", name="Verify").click()
        page.wait_for_url(live_server.url + "/")

    return submit
