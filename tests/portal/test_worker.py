"""The task worker (portal/worker.py): it outlives database errors, says it is alive, sweeps up
after a worker that died, and is kept running by its supervisor."""

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from portal import delivery, worker
from portal.delivery import recent_outbox
from portal.models import Delivery, WorkerHeartbeat
from tests.tasks import QUEUES, run_worker

NUMBER = "+447400123456"
BODY = "Your verification code is 482913"


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    return time_machine


class Killed(BaseException):
    """The worker process ends in the middle of a send (an OOM kill, a lost machine)."""


def killed_mid_send(monkeypatch) -> Delivery:
    """Queue a text and leave it as a worker killed while sending it leaves it: the task row
    "running", the delivery "sending"."""
    queued = delivery.send_text(NUMBER, BODY)
    task_row = DBTaskResult.objects.get()
    task_row.claim("a-worker-that-died")

    def die(self, to, body):
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(delivery.ConsoleSender, "send_text", die)
        with pytest.raises(Killed):
            delivery.attempt(queued.pk)
    return Delivery.objects.get()


# Sweeping up after a dead worker -------------------------------------------------------------


def test_a_send_cut_short_by_a_dead_worker_is_queued_again_and_sent(queue, frozen, monkeypatch):
    stuck = killed_mid_send(monkeypatch)
    assert (stuck.status, stuck.attempts) == (Delivery.Status.SENDING, 1)

    frozen.shift(delivery.ATTEMPT_LEASE_SECONDS + 1)
    worker.sweep()

    lost = DBTaskResult.objects.get(worker_ids=["a-worker-that-died"])
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == "portal.worker.WorkerLost"
    assert lost.finished_at is not None
    assert Delivery.objects.get().status == Delivery.Status.QUEUED

    run_worker()

    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts, sent.sealed_message) == (Delivery.Status.SENT, 2, "")
    [message] = recent_outbox()
    assert message["body"] == BODY


def test_a_send_still_within_its_lease_is_left_alone(queue, frozen, monkeypatch):
    killed_mid_send(monkeypatch)

    frozen.shift(delivery.ATTEMPT_LEASE_SECONDS - 5)  # it may still be sending
    worker.sweep()

    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
    assert Delivery.objects.get().status == Delivery.Status.SENDING
    assert DBTaskResult.objects.count() == 1  # nothing queued again


def test_a_task_left_running_is_marked_failed_as_lost(queue, frozen):
    delivery.send_text(NUMBER, BODY)
    task_row = DBTaskResult.objects.get()
    task_row.claim("a-worker-that-died")  # and died before the task began the attempt

    frozen.shift(delivery.ATTEMPT_LEASE_SECONDS + 1)
    worker.sweep()

    lost = DBTaskResult.objects.get(pk=task_row.pk)
    assert (lost.status, lost.exception_class_path, lost.traceback) == (
        TaskResultStatus.FAILED,
        "portal.worker.WorkerLost",
        "",
    )
    # Its delivery, still waiting, has a new task, which sends it.
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    run_worker()
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_a_delivery_whose_task_was_lost_is_queued_again(queue, frozen):
    delivery.send_text(NUMBER, BODY)
    DBTaskResult.objects.all().delete()  # the task never made it, or was cleared

    frozen.shift(delivery.ATTEMPT_LEASE_SECONDS + 1)
    assert delivery.recover() == 1
    run_worker()

    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert len(recent_outbox()) == 1


def test_a_send_cut_short_past_its_deadline_is_given_up(queue, frozen, monkeypatch):
    killed_mid_send(monkeypatch)
    announced = []

    def receiver(sender, delivery, **kwargs):
        announced.append(delivery.pk)

    delivery.delivery_failed.connect(receiver)
    try:
        frozen.shift(delivery.CODE_RETRY_SECONDS + 1)
        worker.sweep()
    finally:
        delivery.delivery_failed.disconnect(receiver)

    failed = Delivery.objects.get()
    assert (failed.status, failed.reason) == (Delivery.Status.FAILED, Delivery.Reason.EXPIRED)
    assert failed.sealed_message == ""
    assert announced == [failed.pk]
    run_worker()
    assert recent_outbox() == []


def test_a_sweep_forgets_workers_long_gone(queue, frozen):
    worker.beat("gone", QUEUES)
    frozen.shift(2 * 60 * 60)
    worker.beat("alive", QUEUES)

    worker.sweep()

    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]


# The worker outlives the database ------------------------------------------------------------


def test_the_worker_carries_on_after_a_database_error(queue, monkeypatch):
    delivery.send_text(NUMBER, BODY)
    # Its housekeeping beats once here: on SQLite (the suite's shared in-memory database) two
    # threads writing at once lock each other out, so the test keeps them apart.
    monkeypatch.setattr(worker, "HEARTBEAT_SECONDS", 60)
    swept = threading.Event()
    real_sweep = worker.sweep

    def sweep_and_tell():
        real_sweep()
        swept.set()

    monkeypatch.setattr(worker, "sweep", sweep_and_tell)
    real_loop = Worker.run

    def loop_once_housekeeping_is_done(self):
        swept.wait(10)  # its first beat and sweep, which run as the worker starts
        return real_loop(self)

    monkeypatch.setattr(Worker, "run", loop_once_housekeeping_is_done)
    real_get_locked = DBTaskResultQuerySet.get_locked
    looks = []

    def fails_the_first_time(self):
        looks.append(True)
        if len(looks) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_get_locked(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", fails_the_first_time)
    one = worker.ResilientWorker(queue_names=["phone"], interval=0.05, worker_id="test-worker")
    one.startup_delay = False
    heartbeats = []
    real_run_task = one.run_task

    def run_task_then_stop(task_result):
        real_run_task(task_result)
        heartbeats.extend(WorkerHeartbeat.objects.values_list("worker_id", "queues", "pid"))
        one.running = False  # as SIGTERM does once the task is done

    one.run_task = run_task_then_stop
    guard = threading.Timer(30, setattr, args=(one, "running", False))  # never hang the suite
    guard.start()
    try:
        one.run()
    finally:
        guard.cancel()
    for housekeeping in threading.enumerate():
        if housekeeping.name == "housekeeping":
            housekeeping.join(timeout=10)

    assert len(looks) >= 2  # it looked again after the error
    assert swept.is_set()
    assert one.stopped.is_set()
    sent = Delivery.objects.get()
    assert sent.status == Delivery.Status.SENT
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
    assert heartbeats == [("test-worker", "phone", os.getpid())]
    assert not WorkerHeartbeat.objects.exists()  # stopped, it took its heartbeat away


def test_the_worker_command_refuses_the_inline_backend(db):
    with pytest.raises(CommandError, match="inline backend"):
        call_command("worker", single=True)


# Health -------------------------------------------------------------------------------------


def test_health_names_the_queues_without_a_live_worker(queue):
    assert worker.health() == ["worker for default, phone, mail"]

    worker.beat("phone-worker", ["phone"])

    assert worker.health() == ["worker for default, mail"]


def test_health_is_clear_when_live_workers_serve_every_queue(queue):
    worker.beat("phone-worker", ["phone"])
    worker.beat("other-worker", ["mail", "default"])

    assert worker.health() == []


def test_a_worker_not_seen_lately_counts_as_gone(queue, frozen):
    worker.beat("phone-worker", QUEUES)
    frozen.shift(worker.ALIVE_SECONDS + 1)

    assert worker.health() == ["worker for default, phone, mail"]


def test_health_names_deliveries_waiting_too_long(queue, frozen):
    delivery.send_text(NUMBER, BODY)
    frozen.shift(worker.BACKLOG_SECONDS - 1)
    worker.beat("all-queues", QUEUES)
    assert worker.health() == []  # due a moment ago: a worker is about to take it

    frozen.shift(2)
    worker.beat("all-queues", QUEUES)  # alive, but not taking its queue (hung on a provider)

    assert worker.health() == ["deliveries waiting"]


def test_health_has_nothing_to_say_with_the_inline_backend(db):
    assert worker.health() == []


def test_the_worker_health_page_names_what_is_wrong(client, queue):
    response = client.get("/health/worker/")

    assert response.status_code == 503
    assert response.content == b"worker for default, phone, mail unavailable\n"
    assert "no-cache" in response["Cache-Control"]


def test_the_worker_health_page_is_ok_with_live_workers(client, queue):
    worker.beat("all-queues", QUEUES)

    response = client.get("/health/worker/")

    assert (response.status_code, response.content) == (200, b"ok\n")


def test_the_worker_health_page_is_ok_with_the_inline_backend(client, db):
    assert client.get("/health/worker/").status_code == 200


# The supervisor -----------------------------------------------------------------------------


class FakeSupervisor(worker.Supervisor):
    """Runs `program` instead of a worker, and counts the starts."""

    def __init__(self, program: str) -> None:
        super().__init__(["phone"], interval=1.0, verbosity=0)
        self.program = program
        self.starts = 0
        self.pauses = {"phone": 0.02}  # start again quickly: the test has no time to lose

    def command(self, queue: str) -> list[str]:
        self.starts += 1
        return [sys.executable, "-c", self.program]


@pytest.fixture
def handlers(monkeypatch):
    """The signal handlers the supervisor installs, recorded instead (signal.signal only works
    in the main thread, and the supervisor runs in another here)."""
    installed = {}
    monkeypatch.setattr(signal, "signal", installed.__setitem__)
    return installed


def supervise(supervisor: FakeSupervisor, until, timeout: float = 20.0) -> None:
    """Run the supervisor in a thread until `until()` holds, then stop it as SIGTERM would."""
    running = threading.Thread(target=supervisor.run, daemon=True)
    running.start()
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        time.sleep(0.02)
    supervisor.stop(None, None)
    running.join(timeout=35)
    assert not running.is_alive()


def test_the_supervisor_starts_again_a_worker_that_exits(handlers, caplog):
    supervisor = FakeSupervisor("import sys; sys.exit(3)")

    supervise(supervisor, until=lambda: supervisor.starts >= 3)

    assert supervisor.starts >= 3
    assert "worker for phone exited (3); restarting" in caplog.text
    assert supervisor.pauses["phone"] > 0.02  # it waits longer each time a worker fails fast
    assert handlers == {signal.SIGTERM: supervisor.stop, signal.SIGINT: supervisor.stop}


def test_stopping_the_supervisor_stops_its_workers(handlers):
    supervisor = FakeSupervisor("import time; time.sleep(60)")

    supervise(supervisor, until=lambda: "phone" in supervisor.children)

    child = supervisor.children["phone"]
    assert child.returncode == -signal.SIGTERM  # asked to stop, not left behind
    assert supervisor.starts == 1


def test_a_supervisor_child_runs_the_worker_command(settings):
    supervisor = worker.Supervisor(["phone"], interval=0.5, verbosity=2)

    command = supervisor.command("phone")

    assert command[0] == sys.executable
    assert command[1] == str(Path(settings.BASE_DIR) / "manage.py")
    assert command[2:] == [
        "worker",
        "--single",
        "--queues=phone",
        "--interval=0.5",
        "--verbosity=2",
    ]


def test_a_sweep_leaves_alone_a_delivery_whose_task_still_waits_so_health_still_tells(
    queue, frozen
):
    sent = delivery.send_text("+447700900123", "Your code is 123456", purpose="test")
    frozen.shift(worker.BACKLOG_SECONDS + delivery.ATTEMPT_LEASE_SECONDS + 1)

    worker.sweep()

    assert DBTaskResult.objects.count() == 1  # no copy of the waiting task
    assert "deliveries waiting" in worker.health()  # the sweep did not make it look on time
    DBTaskResult.objects.all().delete()  # now its task is lost
    worker.sweep()
    worker.sweep()
    assert DBTaskResult.objects.count() == 1  # queued again, once
    assert Delivery.objects.get(pk=sent.pk).status == Delivery.Status.QUEUED


def test_the_pause_after_database_errors_grows_and_starts_again_after_a_quiet_minute():
    pauses = [worker.next_pause(0.0, 0.0)]
    for _error in range(6):  # errors coming one after another
        pauses.append(worker.next_pause(pauses[-1], 2.0))
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert worker.next_pause(30.0, 61.0) == 1.0  # a new outage, long after the last
