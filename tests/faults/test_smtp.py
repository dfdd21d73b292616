"""The mail server down while a code or a notice is to be mailed: each is retried and delivered,
once, when it is back; the pages say the code is on its way meanwhile, and nothing is lost."""

import pytest

from tests.faults.flows import (
    EMAIL_SENT,
    EMAIL_VERIFY,
    RESET_SENT,
    SENDING,
    STILL_TRYING,
    add_email,
    code_in,
    enter_code,
    finish_reset,
    mails_to,
    signed_in_with_app,
    start_reset,
    wait_until_retrying,
    wait_until_tasks_done,
    watch_until_sent,
)
from tests.faults.stack import wait_for

pytestmark = pytest.mark.stack

NEW_PASSWORD = "violet kestrel juggles 93 copper lanterns"


def assert_mailed_once(portal, address: str, purpose: str) -> str:
    """The one delivery to `address` went out once after failed attempts; return the mail's
    text."""
    [mail] = mails_to(portal, address)
    row = portal.db.delivery(address)
    assert (row["status"], row["purpose"], row["channel"]) == ("sent", purpose, "mail")
    assert row["attempts"] >= 2
    tasks = wait_until_tasks_done(portal, row["id"])
    assert {task["status"] for task in tasks} == {"SUCCESSFUL"}
    assert {task["queue_name"] for task in tasks} == {"mail"}
    return mail.get_content()


def test_adding_an_email_while_the_mail_server_is_down(portal):
    user = portal.take_user("totp")
    address = user["personal_email"]
    browser = signed_in_with_app(portal, user)
    portal.smtp.stop()

    page = add_email(browser, address)
    assert not page.says(EMAIL_SENT)
    assert page.says(SENDING) or page.says(STILL_TRYING), page

    wait_until_retrying(portal, address)
    page = browser.get(EMAIL_VERIFY)
    assert page.says(STILL_TRYING), page
    assert not page.says(EMAIL_SENT), page
    assert mails_to(portal, address) == []

    portal.smtp.start()
    watch_until_sent(browser, EMAIL_VERIFY, EMAIL_SENT, lambda: len(mails_to(portal, address)))

    body = assert_mailed_once(portal, address, "registration code")
    done = enter_code(browser, EMAIL_VERIFY, code_in(body))
    assert done.url == "/security-info/", done
    assert done.says("Email address added.")
    assert done.says(address)


def test_a_reset_code_waits_out_the_mail_server(portal):
    user = portal.take_user("reset")
    address = user["personal_email"]
    browser = portal.browser()
    portal.smtp.stop()

    page = start_reset(browser, user["email"])
    # Whatever became of the send, the page says what it says to everyone.
    assert page.says(RESET_SENT), page

    wait_until_retrying(portal, address)
    assert browser.get("/password/reset/code/").says(RESET_SENT)
    assert mails_to(portal, address) == []

    portal.smtp.start()
    wait_for(lambda: mails_to(portal, address), 15, f"the reset code to reach {address}")
    body = assert_mailed_once(portal, address, "password reset code")

    done = finish_reset(browser, code_in(body), NEW_PASSWORD)
    assert done.url == "/password/reset/done/", done
    assert done.says("Your password has been reset"), done


def test_a_finished_reset_mails_both_confirmations_once_the_mail_server_is_back(portal):
    user = portal.take_user("reset")
    addresses = [user["email"], user["personal_email"]]
    browser = portal.browser()
    start_reset(browser, user["email"])
    [code_mail] = wait_for(lambda: mails_to(portal, addresses[1]), 15, "the reset code")
    portal.smtp.stop()

    done = finish_reset(browser, code_in(code_mail.get_content()), NEW_PASSWORD)
    assert done.url == "/password/reset/done/", done
    assert done.says("Your password has been reset"), done

    for address in addresses:
        wait_until_retrying(portal, address)  # its confirmation, the newest delivery there
    assert [len(mails_to(portal, address)) for address in addresses] == [0, 1]
    portal.smtp.start()

    def confirmed() -> bool:
        return [len(mails_to(portal, address)) for address in addresses] == [1, 2]

    wait_for(confirmed, 20, "a confirmation at each address")
    for address in addresses:
        notice = portal.db.deliveries(address)[-1]
        assert (notice["status"], notice["purpose"]) == ("sent", "password reset notice")
        assert notice["attempts"] >= 2
        assert mails_to(portal, address)[-1]["Subject"] == "[My Account] Your password was reset"
        tasks = wait_until_tasks_done(portal, notice["id"])
        assert {task["status"] for task in tasks} == {"SUCCESSFUL"}
