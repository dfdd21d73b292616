"""The task worker, made to survive: `manage.py worker` runs it.

django-tasks-db keeps the queue in the database the portal already depends on, so a task is
queued in the same transaction as what it is about (a Delivery row) and nothing needs Redis
to be durable. Its own `db_worker` stops at the first database error and leaves the task it
was running "running" for ever; this module wraps it:

- Supervisor: one child process per queue (a provider that hangs holds up only its own
  queue), each restarted with a growing pause whenever it exits, until the supervisor is
  asked to stop (SIGTERM or SIGINT, passed on so each child finishes its task first).
- ResilientWorker (each child): after a database error it closes its connections, waits and
  carries on; a housekeeping thread touches its WorkerHeartbeat row (the health signal),
  marks tasks a dead worker left "running" as failed, and sweeps deliveries whose attempt
  was cut short or whose task was lost back into the queue (portal.delivery.recover).
"""

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from portal import delivery
from portal.models import Delivery, WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
SWEEP_SECONDS = getattr(settings, "WORKER_SWEEP_SECONDS", 15)  # a test stack may shorten it
# A worker not seen for this long is gone (the health check says so).
ALIVE_SECONDS = 30
# A delivery due this long ago and still waiting means no worker is taking its queue.
BACKLOG_SECONDS = 60


class WorkerLost(Exception):
    """The worker running the task stopped before it finished (named on the task's row)."""


class ResilientWorker(Worker):
    """django-tasks-db's worker that outlives database outages and reports that it is alive."""

    def __init__(self, *, queue_names: list[str], interval: float = 1.0, worker_id: str):
        super().__init__(
            queue_names=queue_names,
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=True,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.stopped = threading.Event()

    def run(self) -> None:
        housekeeping = threading.Thread(target=self.keep_house, name="housekeeping", daemon=True)
        housekeeping.start()
        pause, last_error = 0.0, 0.0
        try:
            while self.running:
                try:
                    super().run()
                except (DatabaseError, InterfaceError) as e:
                    # The loop's own query failed (the server restarted, the connection was
                    # killed): start again on a fresh connection once the database answers.
                    logger.warning("worker: database unavailable (%s), retrying", type(e).__name__)
                    connections.close_all()
                    now = time.monotonic()
                    pause = next_pause(pause, now - last_error)
                    last_error = now
                    time.sleep(pause)
        finally:
            self.stopped.set()

    def keep_house(self) -> None:
        """Every few seconds: say this worker is alive; now and then, sweep up after others."""
        last_sweep = 0.0
        while not self.stopped.wait(0 if not last_sweep else HEARTBEAT_SECONDS):
            try:
                beat(self.worker_id, self.queue_names)
                if time.monotonic() - last_sweep >= SWEEP_SECONDS:
                    sweep()
                    last_sweep = time.monotonic()
            except Exception as e:  # the worker outlives any of these
                logger.warning("worker: housekeeping failed (%s)", type(e).__name__)
                connections.close_all()
                last_sweep = last_sweep or 1.0
        with contextlib.suppress(DatabaseError):  # gone soon anyway: it stops being seen
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        connections.close_all()


def next_pause(pause: float, since_last_error: float) -> float:
    """How long to wait after a database error: 1 s, doubling while the errors keep coming,
    up to 30 s; back to 1 s once a minute has passed without one (an outage long over)."""
    if not pause or since_last_error > 60:
        return 1.0
    return min(pause * 2, 30.0)


def beat(worker_id: str, queue_names: list[str]) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": now},
        create_defaults={
            "queues": ",".join(queue_names),
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "started_at": now,
            "seen_at": now,
        },
    )


def sweep(now=None) -> None:
    """Mark tasks left "running" by a dead worker as failed, queue again the deliveries they
    held, and forget workers long gone."""
    now = now or timezone.now()
    lease = now - timedelta(seconds=delivery.ATTEMPT_LEASE_SECONDS)
    lost = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=lease)
    if count := lost.update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback="",
    ):
        logger.warning("worker: %d task(s) left running by a stopped worker", count)
    delivery.recover(now, has_task=has_live_task)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(hours=1)).delete()


def has_live_task(delivery_id) -> bool:
    """Whether a task for the delivery waits in the queue or runs (see delivery.recover)."""
    return DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        task_path=delivery.deliver.module_path,
        args_kwargs__args__0=str(delivery_id),
    ).exists()


def health() -> list[str]:
    """Name what is wrong with the workers, for /health/: nothing with the inline backend."""
    if not uses_queue():
        return []
    now = timezone.now()
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=now - timedelta(seconds=ALIVE_SECONDS))
    problems = []
    served = {
        queue for queues in alive.values_list("queues", flat=True) for queue in queues.split(",")
    }
    queues = settings.TASKS["default"].get("QUEUES", ["default"])
    if missing := [queue for queue in queues if queue not in served]:
        problems.append(f"worker for {', '.join(missing)}")
    waiting = Delivery.objects.filter(
        status=Delivery.Status.QUEUED,
        next_attempt_at__lt=now - timedelta(seconds=BACKLOG_SECONDS),
    )
    if waiting.exists():
        problems.append("deliveries waiting")
    return problems


def uses_queue() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


class Supervisor:
    """Keep one worker process per queue running until told to stop."""

    def __init__(self, queue_names: list[str], *, interval: float, verbosity: int) -> None:
        self.queue_names = queue_names
        self.interval = interval
        self.verbosity = verbosity
        self.children: dict[str, subprocess.Popen] = {}
        self.pauses = dict.fromkeys(queue_names, 1.0)
        self.stopping = False

    def command(self, queue: str) -> list[str]:
        manage = Path(settings.BASE_DIR) / "manage.py"
        return [
            sys.executable,
            str(manage),
            "worker",
            "--single",
            f"--queues={queue}",
            f"--interval={self.interval}",
            f"--verbosity={self.verbosity}",
        ]

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        starts: dict[str, float] = {}
        while not self.stopping:
            for queue in self.queue_names:
                child = self.children.get(queue)
                if child is not None and child.poll() is None:
                    continue
                if child is not None:
                    ran_for = time.monotonic() - starts[queue]
                    # A child that ran a good while was healthy: start again at once.
                    self.pauses[queue] = 1.0 if ran_for > 60 else min(self.pauses[queue] * 2, 30)
                    logger.warning(
                        "worker for %s exited (%s); restarting in %.0f s",
                        queue,
                        child.returncode,
                        self.pauses[queue],
                    )
                    if self._sleep(self.pauses[queue]):
                        break
                self.children[queue] = subprocess.Popen(self.command(queue))  # noqa: S603
                starts[queue] = time.monotonic()
            self._sleep(0.5)
        self._stop_children()

    def stop(self, signum, frame) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early to stop; tell whether stopping."""
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.stopping

    def _stop_children(self, grace: float = 30.0) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # each finishes the task it is running
        deadline = time.monotonic() + grace
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
