"""Sending codes through the tasks framework: inline by default, or queued for a worker."""

import pytest
from django.core.management import call_command

from portal import delivery
from portal.delivery import DeliveryFailed, recent_outbox


def test_the_inline_backend_sends_at_once(db):
    delivery.send_text("+447400123456", "Your verification code is 123456")
    assert recent_outbox()[0]["body"] == "Your verification code is 123456"


def test_a_queue_backend_sends_when_the_worker_runs(transactional_db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    delivery.send_text("+447400123456", "Your verification code is 654321")
    assert recent_outbox() == []  # queued, not sent yet
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert recent_outbox()[0]["body"] == "Your verification code is 654321"


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
