"""Twilio hanging (answering later than TWILIO_TIMEOUT): the text's attempts time out and are
retried, while an email code asked for at the same time arrives at once: mail has a queue and
a worker of its own."""

import time

import pytest

from tests.faults.flows import (
    EMAIL_SENT,
    EMAIL_VERIFY,
    PHONE_TEXTED,
    PHONE_VERIFY,
    SENDING,
    STILL_TRYING,
    add_email,
    add_phone,
    code_in,
    enter_code,
    mails_to,
    signed_in_with_app,
    texts_to,
    wait_until_retrying,
    watch_until_sent,
)
from tests.faults.stack import TWILIO_TIMEOUT, wait_for

pytestmark = pytest.mark.stack

HANG_SECONDS = 5 * TWILIO_TIMEOUT


def test_a_hung_twilio_holds_up_only_texts(portal):
    texter, mailer = portal.take_user("totp"), portal.take_user("totp")
    number, address = texter["new_phone"], mailer["personal_email"]
    texting, mailing = signed_in_with_app(portal, texter), signed_in_with_app(portal, mailer)
    arrived = portal.twilio.arrived
    portal.twilio.hang_seconds = HANG_SECONDS

    page = add_phone(texting, number)
    assert page.says(SENDING) or page.says(STILL_TRYING), page
    wait_for(lambda: portal.twilio.arrived > arrived, 10, "the text's attempt to reach Twilio")

    # While the phone worker waits on Twilio, an email code goes out at once.
    asked = time.monotonic()
    page = add_email(mailing, address)
    [mail] = wait_for(lambda: mails_to(portal, address), 5, "the email code")
    assert time.monotonic() - asked < TWILIO_TIMEOUT + 1
    assert texts_to(portal, number) == []
    assert mailing.get(EMAIL_VERIFY).says(EMAIL_SENT)
    done = enter_code(mailing, EMAIL_VERIFY, code_in(mail.get_content()))
    assert done.says("Email address added."), done
    [mail_delivery] = portal.db.deliveries(address)
    assert (mail_delivery["status"], mail_delivery["attempts"]) == ("sent", 1)

    # The text: each attempt timed out, and it is tried again.
    failing = wait_until_retrying(portal, number)
    assert failing["detail"] == "ReadTimeout"  # Twilio took the request, never answered
    page = texting.get(PHONE_VERIFY)
    assert page.says(STILL_TRYING), page
    assert not page.says("texted"), page

    portal.twilio.hang_seconds = 0
    watch_until_sent(texting, PHONE_VERIFY, PHONE_TEXTED, lambda: len(texts_to(portal, number)))
    [text] = texts_to(portal, number)  # the hung attempts were abandoned: none went out
    row = portal.db.delivery(number)
    assert row["status"] == "sent"
    assert row["attempts"] >= 3
    done = enter_code(texting, PHONE_VERIFY, code_in(text["Body"]))
    assert done.says("SMS verified. Your phone was registered successfully."), done
