"""Sending codes through the tasks framework: inline by default, or queued for a worker.

A queued task is a database row, shown on its admin page: it must never hold the code.
"""

import io
import json
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from portal import delivery
from portal.delivery import DeliveryFailed, recent_outbox

CODE = "482913"
NUMBER = "+447400123456"
ADDRESS = "alice@home.example"


@pytest.fixture
def queue(transactional_db, settings):
    """django-tasks-db, as production runs it: sending waits for the worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker(verbosity: int = 0) -> None:
    """Run the worker until the queue is empty (verbosity 3 lets the tasks framework log all)."""
    call_command(
        "db_worker", batch=True, no_startup_delay=True, verbosity=verbosity, stdout=io.StringIO()
    )


def kept(row: DBTaskResult) -> str:
    """Everything the queue keeps of a task: what a database copy or the admin shows."""
    return json.dumps(
        [row.task_path, row.args_kwargs, row.return_value, row.exception_class_path, row.traceback]
    )


def send_text() -> None:
    delivery.send_text(NUMBER, f"Your verification code is {CODE}")


def place_call() -> None:
    delivery.place_call(NUMBER, f"Your verification code is {' '.join(CODE)}.", extension="12")


def send_mail() -> None:
    delivery.send_mail(ADDRESS, "Your verification code", f"Your code is {CODE}.")


def test_the_inline_backend_sends_at_once(db):
    delivery.send_text("+447400123456", "Your verification code is 123456")
    assert recent_outbox()[0]["body"] == "Your verification code is 123456"


def test_a_queue_backend_sends_when_the_worker_runs(queue):
    delivery.send_text("+447400123456", "Your verification code is 654321")
    assert recent_outbox() == []  # queued, not sent yet
    run_worker()
    assert recent_outbox()[0]["body"] == "Your verification code is 654321"


@pytest.mark.parametrize("send", [send_text, place_call, send_mail])
def test_a_queued_message_leaves_no_code_nor_recipient_in_the_queue(queue, send):
    send()
    [row] = DBTaskResult.objects.all()
    for secret in (CODE, " ".join(CODE), NUMBER, ADDRESS):
        assert secret not in kept(row)

    run_worker()

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value is None
    assert CODE not in kept(row)
    assert " ".join(CODE) not in kept(row)


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
        "Your verification code",
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
        assert "send_text_task" in page.content.decode()
        assert CODE not in page.content.decode()
        assert NUMBER not in page.content.decode()


def test_a_message_queued_for_over_a_day_is_dropped_without_its_code(queue, time_machine, caplog):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    send_text()
    time_machine.shift(delivery.MAX_QUEUED_SECONDS + 1)

    with caplog.at_level(logging.DEBUG):
        run_worker()

    assert recent_outbox() == []
    [row] = DBTaskResult.objects.all()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "portal.delivery.StaleMessage"
    assert "expired" in row.traceback
    assert CODE not in kept(row)
    assert "dropped a queued message: expired" in caplog.text
    assert CODE not in caplog.text


def test_a_message_sealed_with_a_key_no_longer_listed_is_dropped(queue, settings, caplog):
    send_text()
    settings.FIELD_ENCRYPTION_KEY = "a-key-that-replaced-the-old-one-outright"
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = []

    with caplog.at_level(logging.WARNING, logger="portal.delivery"):
        run_worker()

    assert recent_outbox() == []
    [row] = DBTaskResult.objects.all()
    assert row.exception_class_path == "portal.delivery.StaleMessage"
    assert "dropped a queued message: cannot decrypt" in caplog.text


def test_a_message_queued_before_a_key_rotation_is_still_sent(queue, settings):
    send_text()
    settings.FIELD_ENCRYPTION_KEY_FALLBACKS = [settings.FIELD_ENCRYPTION_KEY]
    settings.FIELD_ENCRYPTION_KEY = "the-new-key-after-rotation-0123456789abc"

    run_worker()

    assert recent_outbox()[0]["body"] == f"Your verification code is {CODE}"


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
    with pytest.raises(DeliveryFailed):
        delivery.place_call("+447400123456", "Your code is 1 2 3")
    delivery._sender.cache_clear()


def test_the_development_outbox_lists_codes_before_signing_in(client, db, settings):
    settings.DEV_OUTBOX = True
    delivery.send_text("+447400123456", "Your verification code is 123456")
    response = client.get("/dev/outbox/")
    assert response.status_code == 200
    assert "Your verification code is 123456" in response.content.decode()


def test_the_outbox_does_not_exist_outside_development(client, db, settings):
    settings.DEV_OUTBOX = False
    assert client.get("/dev/outbox/").status_code == 404
