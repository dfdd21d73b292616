"""What people do on the portal, through its pages, and what the pages say while a send waits.

Each helper drives a Browser through the real forms and checks only what it must to go on;
the tests assert the rest.
"""

import re
import time
from collections.abc import Callable

import pyotp

from tests.faults.browser import Browser, Page
from tests.faults.stack import Stack, wait_for

# What the pages say about a code's send (security_info.challenges.send_status).
SENDING = "Sending a code to"
STILL_TRYING = "We could not reach the service that sends codes yet. We are still trying"
# Once the provider took it: the second step of signing in, adding a phone, adding an email.
SIGN_IN_TEXTED = "We texted a code to"
PHONE_TEXTED = "We just texted a 6-digit code to"
EMAIL_SENT = "We just sent a 6-digit code to"
# The reset's code page says the same whether or not the account exists or the send went out.
RESET_SENT = (
    "We are emailing a code to the personal address in your security info. It can take a few "
    "minutes to arrive."
)
UNAVAILABLE = "This is temporarily unavailable. Try again in a minute or two."

SIGN_IN_VERIFY = "/accounts/verify/"
PHONE_VERIFY = "/security-info/phone/verify/"
EMAIL_VERIFY = "/security-info/email/verify/"


def code_in(text: str) -> str:
    match = re.search(r"\b\d{6}\b", text)
    assert match, f"no code in {text!r}"
    return match[0]


# Signing in ----------------------------------------------------------------------------------


def start_sign_in(browser: Browser, user: dict) -> Page:
    """Send the sign-in form; return the second step's page."""
    page = browser.submit(
        "/accounts/login/", {"login": user["email"], "password": user["password"]}
    )
    assert page.url == SIGN_IN_VERIFY, page
    return page


def finish_sign_in(browser: Browser, code: str, page: Page | None = None) -> Page:
    """Send the code on the second step; return the overview it leads to."""
    page = page or browser.get(SIGN_IN_VERIFY)
    done = browser.post(SIGN_IN_VERIFY, {"code": code}, token=page.csrf_token())
    assert done.url == "/", done
    assert done.says("Successfully signed in"), done
    return done


def signed_in_with_app(stack: Stack, user: dict, server=None) -> Browser:
    """A browser signed in with password and authenticator app just now (so in sudo mode)."""
    browser = stack.browser(server)
    page = start_sign_in(browser, user)
    finish_sign_in(browser, pyotp.TOTP(user["totp"]).now(), page)
    return browser


# Security info -------------------------------------------------------------------------------


def add_phone(browser: Browser, number: str) -> Page:
    page = browser.submit(
        "/security-info/phone/add/", {"region": "GB", "number": number, "channel": "sms"}
    )
    assert page.url == PHONE_VERIFY, page
    return page


def add_email(browser: Browser, address: str) -> Page:
    page = browser.submit("/security-info/email/add/", {"email": address})
    assert page.url == EMAIL_VERIFY, page
    return page


def enter_code(browser: Browser, path: str, code: str) -> Page:
    page = browser.get(path)
    return browser.post(path, {"code": code}, token=page.csrf_token())


# Password reset ------------------------------------------------------------------------------


def start_reset(browser: Browser, email: str, option: str = "email") -> Page:
    """Type the address, choose how to get the code; return the code page."""
    page = browser.submit("/password/reset/", {"email": email})
    assert page.url == "/password/reset/verify/", page
    page = browser.post(page.url, {"option": option}, token=page.csrf_token())
    assert page.url == "/password/reset/code/", page
    return page


def finish_reset(browser: Browser, code: str, password: str) -> Page:
    page = enter_code(browser, "/password/reset/code/", code)
    assert page.url == "/password/reset/new/", page
    return browser.post(
        page.url,
        {"new_password1": password, "new_password2": password},
        token=page.csrf_token(),
    )


# Following a send ----------------------------------------------------------------------------


def watch_until_sent(
    browser: Browser,
    path: str,
    sent_words: str,
    delivered: Callable[[], int],
    timeout: float = 20,
) -> list[str]:
    """Reload the page until it says the code went out, checking on every load that it says
    so only once the fake provider holds the message; return what each load said."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        page = browser.get(path)
        assert page.status == 200, page
        received = delivered()  # counted after the page was answered
        if page.says(sent_words):
            assert received >= 1, f"the page said {sent_words!r} before the message arrived"
            seen.append("sent")
            return seen
        assert page.says(SENDING) or page.says(STILL_TRYING), page
        seen.append("still trying" if page.says(STILL_TRYING) else "sending")
        assert time.monotonic() < deadline, f"{path} never said {sent_words!r}: {seen}"
        time.sleep(0.25)


def wait_until_retrying(stack: Stack, recipient: str, attempts: int = 2) -> dict:
    """Until the newest delivery to `recipient` failed `attempts` times for a reason that may
    pass and waits for its next attempt (not while one is under way: it might get through);
    return its row."""

    def retrying():
        rows = stack.db.deliveries(recipient)
        if not rows:
            return None
        row = rows[-1]
        assert row["status"] != "failed", row  # given up on: it should still be trying
        waiting = row["status"] == "queued" and row["reason"] == "unreachable"
        return row if waiting and row["attempts"] >= attempts else None

    return wait_for(retrying, 20, f"{attempts} failed attempts at the send to {recipient}")


def wait_until_tasks_done(stack: Stack, delivery_id, timeout: float = 10) -> list[dict]:
    """Until no task of the delivery is waiting or running; return them."""

    def done():
        tasks = stack.db.tasks(delivery_id)
        return (
            tasks if tasks and all(t["status"] not in {"READY", "RUNNING"} for t in tasks) else None
        )

    return wait_for(done, timeout, f"the tasks of delivery {delivery_id} to finish")


def texts_to(stack: Stack, number: str) -> list[dict]:
    return [message for message in stack.twilio.messages if message["To"] == number]


def mails_to(stack: Stack, address: str) -> list:
    return [m for m in stack.smtp.messages if address.lower() in str(m["To"]).lower()]
