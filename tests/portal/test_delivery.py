"""Sending codes and notices: each send is a Delivery row, and a task carrying only its id
makes the attempts, inline by default or queued for a worker.

A queued task is a database row, shown on its admin page: it must never hold the code, nor
whom it goes to.
"""

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import DatabaseError
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from portal import delivery, ratelimits
from portal.delivery import DeliveryFailed, recent_outbox
from portal.models import Delivery
from tests.fakes.smtp import refuse_smtp, serve_fake_smtp
from tests.tasks import run_worker

CODE = "482913"
NUMBER = "+447400123456"
ADDRESS = "alice@home.example"


def run_worker_at_the_next_attempt(time_machine) -> Delivery:
    """Move the clock just past the delivery's next attempt, run the worker, return the row."""
    waiting = Delivery.objects.get()
    time_machine.move_to(waiting.next_attempt_at + timedelta(seconds=1), tick=False)
    run_worker()
    return Delivery.objects.get()


def kept(row: DBTaskResult) -> str:
    """Everything the queue keeps of a task: what a database copy or the admin shows."""
    return json.dumps(
        [row.task_path, row.args_kwargs, row.return_value, row.exception_class_path, row.traceback]
    )


def send_text(**about) -> Delivery:
    return delivery.send_text(NUMBER, f"Your verification code is {CODE}", **about)


def place_call(**about) -> Delivery:
    words = f"Your verification code is {' '.join(CODE)}."
    return delivery.place_call(NUMBER, words, extension="12", **about)


def send_mail(**about) -> Delivery:
    return delivery.send_mail(ADDRESS, "Your verification code", f"Your code is {CODE}.", **about)


def anonymous_request(rf, session=None):
    request = rf.post("/", REMOTE_ADDR="192.0.2.10")
    request.user = AnonymousUser()
    if session is not None:
        request.session = session
    return request


# Inline and queued ---------------------------------------------------------------------------


def test_the_inline_backend_sends_at_once(db):
    sent = delivery.send_text("+447400123456", "Your verification code is 123456")

    assert recent_outbox()[0]["body"] == "Your verification code is 123456"
    assert (sent.status, sent.attempts, sent.sealed_message) == (Delivery.Status.SENT, 1, "")
    assert sent.finished_at is not None


def test_a_queue_backend_sends_when_the_worker_runs(queue):
    waiting = delivery.send_text("+447400123456", "Your verification code is 654321")
    assert recent_outbox() == []  # queued, not sent yet
    assert (waiting.status, waiting.attempts) == (Delivery.Status.QUEUED, 0)

    run_worker()

    assert recent_outbox()[0]["body"] == "Your verification code is 654321"
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts, sent.reason) == (Delivery.Status.SENT, 1, "")
    assert sent.sealed_message == ""  # the code has gone out: nothing of it is kept


@pytest.mark.parametrize(
    ("send", "queue_name"), [(send_text, "phone"), (place_call, "phone"), (send_mail, "mail")]
)
def test_a_queued_message_leaves_no_code_nor_recipient_in_the_queue(queue, send, queue_name):
    waiting = send()
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "portal.delivery.deliver"
    assert row.args_kwargs == {"args": [str(waiting.pk)], "kwargs": {}}  # the row's id only
    assert row.queue_name == queue_name
    for secret in (CODE, " ".join(CODE), NUMBER, ADDRESS):
        assert secret not in kept(row)

    run_worker()

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value is None
    for secret in (CODE, " ".join(CODE), NUMBER, ADDRESS):
        assert secret not in kept(row)


@pytest.mark.parametrize("send", [send_text, place_call, send_mail])
def test_the_delivery_row_keeps_the_message_sealed_until_it_is_sent(queue, send):
    waiting = send()
    assert waiting.sealed_message
    for secret in (CODE, " ".join(CODE)):
        assert secret not in waiting.sealed_message

    run_worker()

    assert Delivery.objects.get().sealed_message == ""


def test_the_worker_sends_the_text_as_written(queue):
    send_text()
    run_worker()
    [sent] = recent_outbox()
    assert (sent["channel"], sent["to"], sent["body"]) == (
        "text",
        NUMBER,
        f"Your verification code is {CODE}",
    )


def test_the_worker_places_the_call_as_written(queue):
    place_call()
    run_worker()
    [sent] = recent_outbox()
    assert (sent["channel"], sent["to"], sent["body"]) == (
        "call",
        f"{NUMBER} ext. 12",
        "Your verification code is 4 8 2 9 1 3.",
    )


def test_the_worker_sends_the_mail_as_written(queue):
    send_mail()
    run_worker()
    [sent] = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (
        [ADDRESS],
        "[My Account] Your verification code",
        f"Your code is {CODE}.",
    )


def test_the_admin_shows_a_queued_task_without_its_code(queue, client, admin_user):
    send_text()
    [row] = DBTaskResult.objects.all()
    client.force_login(admin_user)
    change_page = reverse("admin:django_tasks_database_dbtaskresult_change", args=[row.pk])
    pages = [
        client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")),
        client.get(change_page),
    ]
    run_worker()
    pages.append(client.get(change_page))
    for page in pages:
        assert page.status_code == 200
        assert "deliver" in page.content.decode()
        assert CODE not in page.content.decode()
        assert NUMBER not in page.content.decode()


def test_a_code_not_sent_by_its_deadline_is_given_up_as_expired_without_being_sent(
    queue, time_machine, caplog, failures
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    send_text()
    time_machine.shift(delivery.CODE_RETRY_SECONDS + 1)  # the worker was down meanwhile

    with caplog.at_level(logging.DEBUG):
        run_worker()

    assert recent_outbox() == []
    expired = Delivery.objects.get()
    assert (expired.status, expired.reason) == (Delivery.Status.FAILED, Delivery.Reason.EXPIRED)
    assert expired.sealed_message == ""
    assert failures == [expired]
    [row] = DBTaskResult.objects.all()
    assert row.status == TaskResultStatus.SUCCESSFUL  # the task did its job: it gave up
    assert CODE not in kept(row)
    assert "failed after 1 attempt(s): not sent in time" in caplog.text
    assert CODE not in caplog.text


def test_a_notice_waits_out_an_outage_of_hours(queue, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    send_mail()  # a notice, not a code: it keeps for a day
    time_machine.shift(6 * 60 * 60)

    run_worker()

    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert mail.outbox[0].to == [ADDRESS]


def test_a_code_sent_by_mail_keeps_only_as_long_as_a_code(queue, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    send_mail(retry_for=delivery.CODE_RETRY_SECONDS)
    time_machine.shift(delivery.CODE_RETRY_SECONDS + 1)

    run_worker()

    assert Delivery.objects.get().reason == Delivery.Reason.EXPIRED
    assert mail.outbox == []


def test_a_message_sealed_with_a_key_no_longer_listed_fails_as_expired(
    queue, settings, caplog, failures
):
    send_text()
    settings.FIELD_ENCRYPTION_KEY = "a-key-that-replaced-the-old-one-outright"
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = []

    with caplog.at_level(logging.WARNING, logger="portal.delivery"):
        run_worker()

    assert recent_outbox() == []
    failed = Delivery.objects.get()
    assert (failed.status, failed.reason) == (Delivery.Status.FAILED, Delivery.Reason.EXPIRED)
    assert (failed.attempts, failed.sealed_message) == (1, "")
    assert len(failures) == 1
    assert "failed after 1 attempt(s): the message can no longer be opened" in caplog.text
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_message_queued_before_a_key_rotation_is_still_sent(queue, settings):
    send_text()
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [settings.FIELD_ENCRYPTION_KEY]
    settings.FIELD_ENCRYPTION_KEY = "the-new-key-after-rotation-0123456789abc"

    run_worker()

    assert recent_outbox()[0]["body"] == f"Your verification code is {CODE}"
    assert Delivery.objects.get().status == Delivery.Status.SENT


@pytest.mark.parametrize("send", [send_text, place_call, send_mail])
def test_no_log_line_holds_the_code(queue, send, caplog):
    with caplog.at_level(logging.DEBUG):
        send()
        run_worker(verbosity=3)
    assert caplog.records  # the tasks framework did log the task
    assert CODE not in caplog.text
    assert " ".join(CODE) not in caplog.text


def test_the_development_phone_prints_the_message_to_the_terminal(db, capsys, caplog):
    with caplog.at_level(logging.DEBUG):
        send_text()
    assert f"text to {NUMBER}: Your verification code is {CODE}" in capsys.readouterr().out
    assert CODE not in caplog.text


def test_a_provider_failure_is_reported_to_the_caller(db, settings):
    settings.PHONE_BACKEND = "none"
    delivery._sender.cache_clear()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            delivery.place_call("+447400123456", "Your code is 1 2 3")
    finally:
        delivery._sender.cache_clear()
    assert failed.value.delivery.status == Delivery.Status.FAILED
    assert failed.value.delivery.reason == Delivery.Reason.NOT_CONFIGURED


def test_a_send_that_cannot_even_be_recorded_fails_at_once(db, monkeypatch):
    def no_database(*args, **kwargs):
        raise DatabaseError("the database is gone")

    monkeypatch.setattr(Delivery.objects, "create", no_database)
    with pytest.raises(DeliveryFailed) as failed:
        send_text()
    assert failed.value.delivery is None
    assert str(failed.value) == "not queued"
    assert recent_outbox() == []


def test_the_development_outbox_lists_codes_before_signing_in(client, db, settings):
    settings.DEV_OUTBOX = True
    delivery.send_text("+447400123456", "Your verification code is 123456")
    response = client.get("/dev/outbox/")
    assert response.status_code == 200
    assert "Your verification code is 123456" in response.content.decode()


def test_the_outbox_does_not_exist_outside_development(client, db, settings):
    settings.DEV_OUTBOX = False
    assert client.get("/dev/outbox/").status_code == 404


# One attempt at a time ------------------------------------------------------------------------


def test_an_attempt_made_twice_sends_once(queue):
    waiting = send_text()

    delivery.attempt(waiting.pk)
    delivery.attempt(waiting.pk)

    assert len(recent_outbox()) == 1
    assert Delivery.objects.get().attempts == 1


def test_an_attempt_while_another_is_sending_does_not_send_again(queue, monkeypatch):
    waiting = send_text()
    real_send_text = delivery.ConsoleSender.send_text
    raced = []

    def send_while_another_copy_runs(self, to, body):
        if not raced:
            raced.append(True)
            delivery.attempt(waiting.pk)  # a second copy of the task, at the same moment
        real_send_text(self, to, body)

    monkeypatch.setattr(delivery.ConsoleSender, "send_text", send_while_another_copy_runs)
    delivery.attempt(waiting.pk)

    assert raced
    assert len(recent_outbox()) == 1
    assert Delivery.objects.get().attempts == 1


def test_two_copies_of_the_task_in_the_queue_send_once(queue):
    waiting = send_text()
    delivery._enqueue(waiting)  # a copy, as a sweep may queue after a lost task

    run_worker()

    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 2
    assert len(recent_outbox()) == 1
    assert Delivery.objects.get().attempts == 1


def test_an_attempt_at_a_delivery_already_sent_does_nothing(queue):
    waiting = send_text()
    run_worker()
    sent = Delivery.objects.get()

    delivery.attempt(waiting.pk)

    again = Delivery.objects.get()
    assert len(recent_outbox()) == 1
    assert (again.status, again.attempts, again.finished_at) == (
        Delivery.Status.SENT,
        1,
        sent.finished_at,
    )


def test_an_attempt_before_its_time_does_nothing(queue, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    waiting = send_text()
    Delivery.objects.filter(pk=waiting.pk).update(
        next_attempt_at=waiting.created_at + timedelta(seconds=30)
    )

    delivery.attempt(waiting.pk)

    assert recent_outbox() == []
    assert Delivery.objects.get().attempts == 0


# Mail servers ---------------------------------------------------------------------------------


def test_an_unreachable_mail_server_is_tried_again_and_the_mail_goes_out_once_it_is_back(
    queue, settings, time_machine
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    refuse_smtp(settings)
    send_mail()

    run_worker()

    waiting = Delivery.objects.get()
    assert (waiting.status, waiting.attempts) == (Delivery.Status.QUEUED, 1)
    assert waiting.reason == Delivery.Reason.UNREACHABLE
    assert waiting.next_attempt_at > waiting.attempt_started_at
    assert waiting.sealed_message  # kept for the next attempt

    with serve_fake_smtp(settings) as smtp:
        sent = run_worker_at_the_next_attempt(time_machine)

    assert (sent.status, sent.attempts, sent.sealed_message) == (Delivery.Status.SENT, 2, "")
    [message] = smtp.messages
    assert message["To"] == ADDRESS


def test_a_mail_server_refusing_the_address_fails_the_mail_at_once(queue, settings, failures):
    with serve_fake_smtp(settings) as smtp:
        smtp.refuse_next_recipient("550 5.1.1 <alice@home.example>: Recipient address rejected")
        send_mail()
        run_worker()

    failed = Delivery.objects.get()
    assert (failed.status, failed.reason) == (Delivery.Status.FAILED, Delivery.Reason.REJECTED)
    assert (failed.attempts, failed.sealed_message) == (1, "")
    assert failed.detail == "SMTP recipient refused (550)"  # not the server's words
    assert smtp.refused == [ADDRESS]
    assert smtp.messages == []
    assert len(failures) == 1
    assert DBTaskResult.objects.count() == 1  # no second attempt queued


def test_a_mail_server_deferring_the_address_is_tried_again(queue, settings, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    with serve_fake_smtp(settings) as smtp:
        smtp.refuse_next_recipient("450 4.2.1 Mailbox busy, try again later")
        send_mail()
        run_worker()
        waiting = Delivery.objects.get()
        assert (waiting.status, waiting.reason) == (
            Delivery.Status.QUEUED,
            Delivery.Reason.UNREACHABLE,
        )

        sent = run_worker_at_the_next_attempt(time_machine)

    assert (sent.status, sent.attempts) == (Delivery.Status.SENT, 2)
    assert len(smtp.messages) == 1


def test_the_inline_backend_fails_a_mail_at_once_when_the_server_is_down(db, settings):
    refuse_smtp(settings)

    with pytest.raises(DeliveryFailed) as failed:
        send_mail()

    assert failed.value.delivery.reason == Delivery.Reason.UNREACHABLE
    assert Delivery.objects.get().status == Delivery.Status.FAILED


# Giving back rate-limit counts ----------------------------------------------------------------


def test_a_refund_gives_back_one_count_per_charge(db, rf, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_code": "100/h/ip,3/15m/key"}
    request = anonymous_request(rf)
    charges = []
    for _ in range(3):
        charges += ratelimits.consume(request, "send_code", key="alice")
    assert len(charges) == 3  # the "key" rate only: the client address's is not the person's
    with pytest.raises(ratelimits.RateLimited):
        ratelimits.consume(request, "send_code", key="alice", dry_run=True)

    ratelimits.refund(charges[:1])

    ratelimits.consume(request, "send_code", key="alice")  # one back, and only one
    with pytest.raises(ratelimits.RateLimited):
        ratelimits.consume(request, "send_code", key="alice", dry_run=True)


def test_a_refund_leaves_other_keys_alone(db, rf, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_code": "1/15m/key"}
    request = anonymous_request(rf)
    alice = ratelimits.consume(request, "send_code", key="alice")
    ratelimits.consume(request, "send_code", key="bob")

    ratelimits.refund(alice)

    ratelimits.consume(request, "send_code", key="alice", dry_run=True)
    with pytest.raises(ratelimits.RateLimited):
        ratelimits.consume(request, "send_code", key="bob", dry_run=True)


@pytest.fixture
def redis_limits(settings):
    """Count rate limits in this machine's Redis (database 15), skipping where none answers.
    Other runs may share it: each test counts under keys of its own, and clears only those."""
    working = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    ratelimits._limiter.cache_clear()
    try:
        if not ratelimits.available():
            pytest.skip("no Redis at 127.0.0.1:6379")
        yield
    finally:
        # Back before the suite's own clean-up builds the limiter again: else every later
        # test would count (and reset) its limits in this shared Redis.
        settings.REDIS_URL = working
        ratelimits._limiter.cache_clear()


def test_a_refund_gives_back_one_count_per_charge_in_redis(db, rf, settings, redis_limits):
    assert isinstance(ratelimits._limiter().storage, ratelimits.RedisStorage)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_code": "2/15m/key"}
    request = anonymous_request(rf)
    key = f"alice-{uuid.uuid4()}"
    try:
        charges = ratelimits.consume(request, "send_code", key=key)
        charges += ratelimits.consume(request, "send_code", key=key)
        with pytest.raises(ratelimits.RateLimited):
            ratelimits.consume(request, "send_code", key=key, dry_run=True)

        ratelimits.refund(charges[:1])

        ratelimits.consume(request, "send_code", key=key)
        with pytest.raises(ratelimits.RateLimited):
            ratelimits.consume(request, "send_code", key=key, dry_run=True)
        ratelimits.refund(charges)
        ratelimits.consume(request, "send_code", key=key, dry_run=True)
    finally:
        ratelimits.clear(request, "send_code", key)


# What a session may read ----------------------------------------------------------------------


def sent_from(client, rf, **about) -> Delivery:
    """A code texted at the request of the client's session."""
    session = client.session
    sent = send_text(request=anonymous_request(rf, session), **about)
    session.save()
    return sent


def status_url(sent) -> str:
    return reverse("portal:delivery_status", args=[sent.pk])


def test_the_session_that_asked_for_a_send_reads_its_state(client, rf, db):
    sent = sent_from(client, rf)

    response = client.get(status_url(sent))

    assert response.status_code == 200
    assert response.json() == {"status": "sent", "attempts": 1, "finished": True}
    assert "no-cache" in response["Cache-Control"]


def test_the_state_follows_a_queued_send(client, rf, queue):
    sent = sent_from(client, rf)
    assert client.get(status_url(sent)).json() == {
        "status": "queued",
        "attempts": 0,
        "finished": False,
    }

    run_worker()

    assert client.get(status_url(sent)).json()["status"] == "sent"


def test_another_session_cannot_read_the_state(client, rf, db):
    sent = sent_from(client, rf)

    assert Client().get(status_url(sent)).status_code == 404


def test_the_signed_in_owner_reads_the_state_of_their_own_sends(alice_client, alice):
    sent = send_text(user=alice)  # sent by another session: a sign-in elsewhere, say

    response = alice_client.get(status_url(sent))

    assert response.status_code == 200
    assert response.json()["status"] == "sent"


def test_a_signed_in_colleague_cannot_read_the_state(client, alice, bob):
    sent = send_text(user=alice)
    client.force_login(bob)

    assert client.get(status_url(sent)).status_code == 404


def test_an_id_that_is_no_delivery_is_not_found(alice_client):
    assert alice_client.get("/deliveries/not-a-uuid/").status_code == 404
    assert alice_client.get("/deliveries/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_state_can_only_be_read(alice_client, alice):
    sent = send_text(user=alice)

    response = alice_client.post(status_url(sent))

    assert response.status_code == 405
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_a_session_remembers_only_its_last_few_sends(client, rf, db):
    first = sent_from(client, rf)
    for _ in range(delivery.REMEMBERED):
        sent_from(client, rf)

    assert client.get(status_url(first)).status_code == 404


def test_every_mail_subject_starts_with_the_site_name(db, settings):
    settings.EMAIL_SUBJECT_PREFIX = "[Contoso Account] "
    send_mail()
    [sent] = mail.outbox
    assert sent.subject == "[Contoso Account] Your verification code"
