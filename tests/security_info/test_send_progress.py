"""Pages that wait on a code say what really happened to its send, and each sign-in attempt is
one event, whatever became of its second step.

With a queue (django-tasks-db, as production runs it) the code goes out after the page that
asked for it answered: that page and the next say "sending", "still trying" or why it failed,
never "we texted a code" before the provider took it.
"""

import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse

from portal import delivery
from portal.models import Delivery
from security_info import challenges
from security_info.models import Method
from signins.models import SignInEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, add_phone, start_sign_in
from tests.tasks import run_worker

VERIFY = "/accounts/verify/"
NUMBER = "+447700900123"


def texted_code(twilio) -> str:
    return re.search(r"\d{6}", twilio.messages[-1]["Body"])[0]


def page(client) -> str:
    return client.get(VERIFY).content.decode()


def test_the_second_step_says_sending_until_the_provider_took_the_code(
    queue, twilio, client, alice
):
    add_phone(alice, NUMBER, channel="sms", is_default=True)
    start_sign_in(client, alice)

    waiting = page(client)
    assert "Sending a code to <strong>+44 ••••••••23</strong>…" in waiting
    assert "We texted a code" not in waiting
    assert "data-send-status=" in waiting  # the script follows it from here
    [sent] = Delivery.objects.all()
    status = client.get(reverse("portal:delivery_status", args=[sent.pk])).json()
    assert status == {"status": "queued", "attempts": 0, "finished": False}

    run_worker()

    done = page(client)
    assert "We texted a code to" in done
    assert "Sending a code to" not in done
    assert client.get(reverse("portal:delivery_status", args=[sent.pk])).json()["finished"]
    response = client.post(VERIFY, {"code": texted_code(twilio)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_while_the_provider_fails_the_page_says_it_is_still_trying(
    queue, twilio, client, alice, time_machine
):
    add_phone(alice, NUMBER, channel="sms", is_default=True)
    time_machine.move_to("2026-12-01 09:00Z", tick=False)
    start_sign_in(client, alice)
    twilio.fail_next(503, times=1)

    run_worker()

    trying = page(client)
    assert "We are still trying" in trying
    assert "We texted a code" not in trying
    assert twilio.messages == []

    time_machine.shift(30)
    run_worker()

    assert "We texted a code to" in page(client)
    assert len(twilio.messages) == 1
    assert Delivery.objects.get().attempts == 2


def test_a_send_given_up_on_says_why_frees_a_new_code_and_gives_back_the_count(
    queue, twilio, client, alice, settings, time_machine
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_code_to": "1/15m/key"}
    add_phone(alice, NUMBER, channel="sms", is_default=True)
    time_machine.move_to("2026-12-01 09:00Z", tick=False)
    start_sign_in(client, alice)
    twilio.fail_next(503, times=100)
    for _minute in range(8):  # every retry fails until the deadline passes
        run_worker()
        time_machine.shift(60)
        delivery.recover()

    failed = page(client)
    assert "We could not send the code right now" in failed
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    event = SignInEvent.objects.get()
    assert (event.result, event.reason) == ("failure", "send_failed")

    # The failed send neither blocks a new one (no cooldown) nor used up the number's limit.
    twilio.answer_normally()
    option = f"{Method.objects.get(user=alice).pk}:sms"
    response = client.post(reverse("sign_in:switch"), {"option": option})
    assert response.status_code == 302
    run_worker()
    assert len(twilio.messages) == 1
    assert "We texted a code to" in page(client)


def test_a_number_the_provider_refuses_says_so_at_once(queue, twilio, client, alice):
    add_phone(alice, NUMBER, channel="sms", is_default=True)
    twilio.fail_next(400)
    start_sign_in(client, alice)

    run_worker()

    assert "The code could not be delivered there" in page(client)
    assert Delivery.objects.get().attempts == 1


def test_adding_a_phone_says_sending_until_it_went_out(queue, twilio, sudo_client, alice):
    sudo_client.post(
        reverse("security_info:add_mobile_phone"),
        {"region": "GB", "number": "07400 123456", "channel": "sms"},
    )
    verify = reverse("security_info:verify_phone")

    assert "Sending a code to" in sudo_client.get(verify).content.decode()
    assert "We just texted" not in sudo_client.get(verify).content.decode()
    run_worker()
    assert "We just texted a 6-digit code" in sudo_client.get(verify).content.decode()


def test_another_session_cannot_follow_the_send(queue, twilio, client, alice):
    add_phone(alice, NUMBER, channel="sms", is_default=True)
    start_sign_in(client, alice)
    url = reverse("portal:delivery_status", args=[Delivery.objects.get().pk])

    assert Client().get(url).status_code == 404
    assert client.get(url).status_code == 200


def test_a_session_from_before_deliveries_were_recorded_still_reads_as_sent(rf, db):
    request = rf.get("/")
    request.session = {}
    old = challenges.Challenge("sign_in", 1, 1, "mobile_phone", challenges.SMS, NUMBER)
    assert challenges.send_state(request, old) == challenges.SENT
    assert challenges.send_status(request, old) is None


# One event per attempt --------------------------------------------------------------------


def results() -> list[tuple[str, str]]:
    return list(SignInEvent.objects.order_by("pk").values_list("result", "reason"))


def test_an_attempt_is_recorded_as_soon_as_the_second_step_starts(client, alice):
    add_authenticator(alice)
    start_sign_in(client, alice)
    assert results() == [("interrupted", "")]
    assert SignInEvent.objects.get().second_factor == "authenticator"


def test_finishing_the_second_step_settles_the_same_event(client, alice):
    _method, app = add_authenticator(alice)
    start_sign_in(client, alice)
    client.post(VERIFY, {"code": app.now()})
    assert results() == [("success", "")]


def test_cancelling_leaves_one_interrupted_event(client, alice):
    add_authenticator(alice)
    start_sign_in(client, alice)
    client.post(reverse("sign_in:cancel"))
    assert results() == [("interrupted", "")]


def test_a_wrong_code_settles_the_attempt_and_a_later_success_is_its_own(client, alice):
    _method, app = add_authenticator(alice)
    start_sign_in(client, alice)
    client.post(VERIFY, {"code": "000000"})
    client.post(VERIFY, {"code": app.now()})
    assert results() == [("failure", "invalid_code"), ("success", "")]


def test_an_abandoned_attempt_stays_interrupted_when_the_next_one_succeeds(client, alice):
    _method, app = add_authenticator(alice)
    start_sign_in(client, alice)  # ... and that browser goes away
    elsewhere = Client()
    start_sign_in(elsewhere, alice)
    elsewhere.post(VERIFY, {"code": app.now()})
    assert results() == [("interrupted", ""), ("success", "")]


def test_signing_in_again_in_the_same_browser_goes_on_with_the_same_attempt(client, alice):
    _method, app = add_authenticator(alice)
    start_sign_in(client, alice)
    start_sign_in(client, alice)  # back to the sign-in page: the waiting step resumes
    client.post(VERIFY, {"code": app.now()})
    assert results() == [("success", "")]


def test_a_sign_in_without_a_second_step_is_one_success(client, bob):
    response = client.post("/accounts/login/", {"login": bob.email, "password": PASSWORD})
    assert response.status_code == 302
    assert results() == [("success", "")]


def test_a_code_that_never_arrives_settles_the_attempt_as_send_failed(
    queue, twilio, client, alice, time_machine
):
    add_phone(alice, NUMBER, channel="sms", is_default=True)
    time_machine.move_to("2026-12-01 09:00Z", tick=False)
    start_sign_in(client, alice)
    twilio.stop()  # and it never comes back; the person closes the tab
    for _minute in range(8):
        run_worker()
        time_machine.shift(timedelta(minutes=1))
        delivery.recover()

    assert results() == [("failure", "send_failed")]
