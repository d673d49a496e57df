"""The task runner: one daemon dispatcher per emulator app that executes ACTIVE tasks.

The dispatcher claims a task by taking a short lease on it in the database and runs it in a
worker thread, which renews the lease as it writes progress. A task whose lease runs out (its
runner died, the emulator restarted) is claimed again and continues where its items left off, so
several emulator processes sharing one database never run a task twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from sqlalchemy import exists, select, update

from emulator.db import rows_affected, session_scope, write_lock
from emulator.transfer.access import get_collection
from emulator.transfer.storage.quota import QuotaGuard
from emulator.transfer.tasks.delete_run import DeleteRun
from emulator.transfer.tasks.models import (
    Task,
    TaskEvent,
    TaskFileResult,
    TaskItem,
    now_seconds,
)
from emulator.transfer.tasks.progress import (
    LEASE_SECONDS,
    TaskFailed,
    TaskProgress,
    TaskStopped,
)
from emulator.transfer.tasks.runtime import PathResolver, owner_context
from emulator.transfer.tasks.transfer_run import TransferRun

# The logger keeps the name it had before the module moved, so log filters keep matching.
log = logging.getLogger("emulator.transfer.runner")

RUNNER_KEY = "emulator_task_runner"
POLL_INTERVAL = 0.25
MAX_CONCURRENT_TASKS = 4

_start_lock = threading.Lock()


def _load(app, task_id: str):  # noqa: ANN001, ANN202 - Flask app; returns a tuple of plain values
    with session_scope(app) as session:
        task = session.get(Task, task_id)
        if task is None:  # claimed a moment ago, so only a reset of the emulator removes it
            raise LookupError(f"task {task_id} is gone")
        items = list(
            session.scalars(
                select(TaskItem)
                .where(TaskItem.task_id == task_id, TaskItem.done.is_(False))
                .order_by(TaskItem.position)
            )
        )
        restarted = session.scalar(select(exists().where(TaskEvent.task_id == task_id, TaskEvent.code == "STARTED")))
        done: set[str] = set()
        if restarted and task.type == "TRANSFER":
            done = set(
                session.scalars(
                    select(TaskFileResult.destination_path).where(
                        TaskFileResult.task_id == task_id, TaskFileResult.kind == "success"
                    )
                )
            )
        owner = owner_context(session, task)
        return task, items, bool(restarted), done, owner


def _quota_factory(app, collection_id: str):  # noqa: ANN001, ANN202 - Flask app; returns a callable
    def build() -> QuotaGuard:
        """A fresh view of the quotas (and usage) binding the destination."""
        with session_scope(app) as session:
            return QuotaGuard(session, get_collection(session, collection_id))

    return build


def run_task(app, task_id: str, runner_id: str, stop_event: threading.Event) -> None:  # noqa: ANN001
    """Execute one claimed task to its end (or until it is canceled or the emulator stops)."""
    task, items, restarted, done, owner = _load(app, task_id)
    collections = [task.source_endpoint_id] + ([task.destination_endpoint_id] if task.destination_endpoint_id else [])
    progress = TaskProgress(app, task_id, runner_id, collections, stop_event)
    progress.redo_unfinished_item = task.type == "TRANSFER"
    progress.set_nice_status("OK", "OK")
    if restarted:
        progress.event("RESTARTED", "restarted", f"resuming with {len(items)} unfinished item(s)")
    else:
        progress.event("STARTED", "started", f"{task.type.lower()} of {len(items)} item(s)")
    try:
        progress.checkpoint(force=True)
        resolver = PathResolver(app, progress, task, owner)
        if task.type == "TRANSFER":
            TransferRun(
                task=task,
                items=items,
                progress=progress,
                resolver=resolver,
                settings=app.config["EMULATOR_SETTINGS"],
                quota_factory=_quota_factory(app, task.destination_endpoint_id),
                done_destinations=done,
            ).run()
        else:
            DeleteRun(task=task, items=items, progress=progress, resolver=resolver).run()
        progress.succeed()
    except TaskStopped:
        return
    except TaskFailed as err:
        progress.fail(err.code, err.description, expired=err.expired)
    except OSError as err:
        # A filesystem failure the work code did not anticipate (disk full, I/O error...).
        log.exception("task %s failed on a filesystem error", task_id)
        progress.fail("ENDPOINT_ERROR", f"Filesystem error: {err.strerror or err}")
    except Exception as err:  # noqa: BLE001 - an emulator bug fails this task instead of retrying forever
        log.exception("task %s failed on an internal error", task_id)
        progress.fail("INTERNAL_ERROR", f"Internal error in the emulator's task runner: {err}")


class TaskRunner:
    """Claims ACTIVE tasks whose lease is free and runs each in its own worker thread."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._workers: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="emulator-task-runner", daemon=True)

    def start(self) -> TaskRunner:
        """Start the dispatcher thread."""
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look for new work now instead of at the next poll (called after a submission)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching; running tasks save their progress and are resumed at the next start."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._dispatch()
            except Exception:  # noqa: BLE001 - the dispatcher must survive any one bad round
                log.exception("task dispatch failed; retrying")
            self._wake.wait(POLL_INTERVAL)
            self._wake.clear()

    def _dispatch(self) -> None:
        with self._lock:
            for task_id in [tid for tid, worker in self._workers.items() if not worker.is_alive()]:
                del self._workers[task_id]
            busy = set(self._workers)
        free = MAX_CONCURRENT_TASKS - len(busy)
        if free <= 0:
            return
        with session_scope(self.app) as session:
            candidates = list(
                session.scalars(
                    select(Task.id)
                    .where(Task.status == "ACTIVE", Task.lease_until < now_seconds(), Task.id.not_in(busy))
                    .order_by(Task.request_time)
                    .limit(free)
                )
            )
        for task_id in candidates:
            if self._claim(task_id):
                worker = threading.Thread(target=self._work, args=(task_id,), name=f"task-{task_id[:8]}", daemon=True)
                with self._lock:
                    self._workers[task_id] = worker
                worker.start()

    def _claim(self, task_id: str) -> bool:
        moment = now_seconds()
        with write_lock, session_scope(self.app) as session:
            claimed = rows_affected(
                session.execute(
                    update(Task)
                    .where(Task.id == task_id, Task.status == "ACTIVE", Task.lease_until < moment)
                    .values(runner_id=self.runner_id, lease_until=moment + LEASE_SECONDS)
                )
            )
        return claimed == 1

    def _work(self, task_id: str) -> None:
        try:
            run_task(self.app, task_id, self.runner_id, self._stop)
        except Exception:  # noqa: BLE001 - a crashed run is logged; its lease expires and it is retried
            log.exception("task %s crashed in the runner", task_id)
        finally:
            self._wake.set()


def start_runner(app) -> TaskRunner:  # noqa: ANN001
    """Start this app's task runner once (later calls return the running one)."""
    with _start_lock:
        runner = app.extensions.get(RUNNER_KEY)
        if runner is None:
            runner = TaskRunner(app).start()
            app.extensions[RUNNER_KEY] = runner
        return runner


def wake_runner(app) -> None:  # noqa: ANN001
    """Nudge the app's runner (if it runs in this process) to pick up a new task at once."""
    runner = app.extensions.get(RUNNER_KEY)
    if runner is not None:
        runner.wake()
