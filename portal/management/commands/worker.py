"""Run the task worker: one supervised process per queue (see portal.worker)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from portal import worker


class Command(BaseCommand):
    help = "Send queued texts, calls and mail; restart any worker process that stops."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--queues",
            default="phone,mail,default",
            help="Comma-separated queues, each served by its own process (default: %(default)s).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between looks at an empty queue (default: %(default)s).",
        )
        parser.add_argument(
            "--single",
            action="store_true",
            help="Serve the queues in this process, unsupervised (what each child runs).",
        )

    def handle(self, *, queues: str, interval: float, single: bool, verbosity: int, **options):
        if not worker.uses_queue():
            raise CommandError(
                "The worker serves TASKS_BACKEND=django_tasks_db.DatabaseBackend; with the "
                "inline backend tasks run in the request and need no worker."
            )
        names = [name.strip() for name in queues.split(",") if name.strip()]
        if not names or interval <= 0:
            raise CommandError("Give at least one queue and a positive interval.")
        if single:
            one = worker.ResilientWorker(
                queue_names=names, interval=interval, worker_id=get_random_string(32)
            )
            one.configure_signals()
            one.run()
        else:
            worker.Supervisor(names, interval=interval, verbosity=verbosity).run()
