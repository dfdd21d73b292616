"""Two app servers are one portal: what one knows (a session, a rate-limit count, a code, a
delivery's state) the other knows too, through the shared PostgreSQL and Redis."""

import pytest

from tests.faults.flows import (
    SIGN_IN_TEXTED,
    code_in,
    finish_sign_in,
    signed_in_with_app,
    start_sign_in,
    texts_to,
)
from tests.faults.stack import wait_for

pytestmark = pytest.mark.stack

TOO_MANY = "For your security we have paused this for now."


def test_a_session_signed_in_on_one_server_works_on_the_other(portal):
    user = portal.take_user("totp")
    browser = signed_in_with_app(portal, user, portal.a)

    page = browser.on(portal.b).get("/")
    assert (page.status, page.url) == (200, "/"), page
    assert page.says(user["email"])
    # And signing out on b ends it on a.
    page = browser.on(portal.b).get("/")
    browser.on(portal.b).post("/accounts/logout/", {}, token=page.csrf_token())
    assert browser.on(portal.a).get("/").url == "/accounts/login/?next=/"


def test_a_rate_limit_used_up_on_one_server_refuses_on_the_other(portal):
    browser = portal.browser(portal.a)
    address = "someone.limited@faults.example"
    for _ in range(5):  # reset_start: 5 in 15 minutes per address from one client address
        page = browser.submit("/password/reset/", {"email": address})
        assert page.url == "/password/reset/verify/", page

    page = browser.on(portal.b).submit("/password/reset/", {"email": address}, follow=False)
    assert page.status == 429, page
    assert page.says(TOO_MANY), page


def test_a_code_asked_on_one_server_is_checked_on_the_other(portal):
    user = portal.take_user("sms")
    browser = portal.browser(portal.a)
    start_sign_in(browser, user)
    [text] = wait_for(lambda: texts_to(portal, user["phone"]), 10, "the sign-in text")

    # The delivery's state, asked by the page's script, reads the same on both servers.
    delivery = portal.db.delivery(user["phone"])
    status_url = f"/deliveries/{delivery['id']}/"
    on_a, on_b = browser.get(status_url), browser.on(portal.b).get(status_url)
    assert on_a.status == on_b.status == 200
    assert on_a.json() == on_b.json() == {"status": "sent", "attempts": 1, "finished": True}
    assert portal.browser(portal.b).get(status_url).status == 404  # not another browser's

    assert browser.on(portal.b).get("/accounts/verify/").says(SIGN_IN_TEXTED)
    finish_sign_in(browser.on(portal.b), code_in(text["Body"]))
    [event] = portal.db.sign_ins(user["email"])
    assert (event["result"], event["second_factor"]) == ("success", "mobile_phone:sms")
