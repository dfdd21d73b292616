"""The task queue as production runs it (django-tasks-db), for tests that wait on the worker;
the `queue` fixture (tests/conftest.py) switches it on."""

import io

from django.core.management import call_command

QUEUES = ["default", "phone", "mail"]
QUEUE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}


def run_worker(verbosity: int = 0) -> None:
    """Run the worker until no task is due (verbosity 3 lets the tasks framework log all)."""
    call_command(
        "db_worker",
        batch=True,
        no_startup_delay=True,
        queue_name="*",
        verbosity=verbosity,
        stdout=io.StringIO(),
    )
