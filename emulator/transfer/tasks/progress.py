"""The runner's window onto one task in the database: counters, results, events and stop checks.

Work code calls `add(...)`, `succeeded_file(...)`, `event(...)` freely; they are buffered and
written at most every half second (so progress is visible without a write per chunk). It calls
`checkpoint()` between chunks: that notices a cancel, a deadline, an admin pause or a collection
outage, waiting while the task is blocked and raising when it must stop.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import select, update

from emulator.db import rows_affected, session_scope, write_lock
from emulator.transfer.models import Collection
from emulator.transfer.tasks.lifecycle import add_event, finish_failed
from emulator.transfer.tasks.models import (
    Task,
    TaskEvent,
    TaskFileResult,
    TaskItem,
    now_seconds,
)

FLUSH_INTERVAL = 0.5
CHECK_INTERVAL = 0.25
LEASE_SECONDS = 5.0
FILE_COUNTERS = (
    "files",
    "directories",
    "symlinks",
    "files_transferred",
    "files_skipped",
    "bytes_transferred",
    "bytes_checksummed",
    "faults",
)
SUBTASK_COUNTERS = (
    "subtasks_total",
    "subtasks_pending",
    "subtasks_retrying",
    "subtasks_succeeded",
    "subtasks_failed",
    "subtasks_skipped_errors",
)


class TaskStopped(Exception):
    """The task ended outside the runner (canceled) or another runner took it over."""


class TaskFailed(Exception):
    """A fatal error: the task fails with this code and description."""

    def __init__(self, code: str, description: str, *, expired: bool = False) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.expired = expired


class TaskProgress:
    """Buffered progress writer and stop-state reader for one task run."""

    def __init__(
        self,
        app,
        task_id: str,
        runner_id: str,
        collection_ids: list[str],  # noqa: ANN001
        stop_event: threading.Event | None = None,
    ) -> None:
        self.app = app
        # Set when the emulator shuts down: the run stops and the task resumes at the next start.
        self.stop_event = stop_event or threading.Event()
        self.task_id = task_id
        self.runner_id = runner_id
        self.collection_ids = collection_ids
        self.deltas: Counter[str] = Counter()
        # Everything the current item added (flushed or not): undone if the emulator stops
        # mid-item, because the next start redoes that item from its beginning.
        self.item_deltas: Counter[str] = Counter()
        self.redo_unfinished_item = True
        self.results: list[TaskFileResult] = []
        self.events: list[TaskEvent] = []
        self.done_items: list[int] = []
        self.nice_status: tuple[str, str, str | None] | None = None
        self.last_flush = time.monotonic()
        self.last_check = 0.0
        # When the current stretch of active (not waiting) time began; None while blocked.
        self.active_mark: float | None = time.monotonic()
        self.active_pending = 0.0
        self.status = "ACTIVE"
        self.deadline = float("inf")
        self.is_paused = False
        self.unavailable: list[str] = []

    # -- buffered writes -------------------------------------------------------------------
    def add(self, **deltas: int) -> None:
        """Add to the task's counters (negative values undo, e.g. bytes of a faulted attempt)."""
        self.deltas.update(deltas)
        self.item_deltas.update(deltas)

    def begin_item(self) -> None:
        """Start counting a new item's own contribution (see `_release`)."""
        self.item_deltas.clear()

    def event(self, code: str, description: str, details: str = "", *, is_error: bool = False) -> None:
        """Queue an event for the task's event list."""
        self.events.append(
            TaskEvent(
                task_id=self.task_id,
                time=now_seconds(),
                code=code,
                description=description,
                details=details,
                is_error=is_error,
            )
        )

    def result(self, **fields: Any) -> None:
        """Queue a per-file result row (kind="success" or kind="skipped")."""
        self.results.append(TaskFileResult(task_id=self.task_id, **fields))

    def item_done(self, item_id: int) -> None:
        """Mark a submitted item finished, so a restarted task skips it."""
        self.done_items.append(item_id)

    def set_nice_status(self, code: str, short: str, details: str | None = None) -> None:
        """Change what the task document's nice_status says at the next flush."""
        self.nice_status = (code, short, details)

    def _take_active_seconds(self) -> float:
        spent = self.active_pending
        if self.active_mark is not None:
            moment = time.monotonic()
            spent += moment - self.active_mark
            self.active_mark = moment
        self.active_pending = 0.0
        return spent

    def flush(self) -> None:
        """Write buffered counters, results and events; raise TaskStopped if the task ended."""
        file_values: dict[str, Any] = {
            name: getattr(Task, name) + self.deltas[name] for name in FILE_COUNTERS if self.deltas[name]
        }
        file_values["active_seconds"] = Task.active_seconds + self._take_active_seconds()
        file_values["lease_until"] = now_seconds() + LEASE_SECONDS
        live_values: dict[str, Any] = {
            name: getattr(Task, name) + self.deltas[name] for name in SUBTASK_COUNTERS if self.deltas[name]
        }
        if self.nice_status is not None:
            code, short, details = self.nice_status
            live_values.update(nice_status=code, nice_status_short_description=short, nice_status_details=details)
        with write_lock, session_scope(self.app) as session:
            mine = (Task.id == self.task_id) & (Task.runner_id == self.runner_id)
            if rows_affected(session.execute(update(Task).where(mine).values(**file_values))) == 0:
                raise TaskStopped(self.task_id)
            if live_values:
                session.execute(update(Task).where(mine & (Task.status == "ACTIVE")).values(**live_values))
            session.add_all([*self.results, *self.events])
            if self.done_items:
                session.execute(update(TaskItem).where(TaskItem.id.in_(self.done_items)).values(done=True))
            self._read_state(session)
        self.deltas.clear()
        self.results, self.events, self.done_items = [], [], []
        self.nice_status = None
        self.last_flush = self.last_check = time.monotonic()
        if self.status != "ACTIVE":
            raise TaskStopped(self.task_id)

    def _read_state(self, session) -> None:  # noqa: ANN001 - Session
        row = session.execute(select(Task.status, Task.deadline, Task.is_paused).where(Task.id == self.task_id)).one()
        self.status, self.deadline, self.is_paused = row.status, row.deadline, row.is_paused
        rows = session.execute(
            select(Collection.id, Collection.display_name, Collection.available, Collection.host_collection_id).where(
                Collection.id.in_(self.collection_ids)
            )
        ).all()
        hosts = [r.host_collection_id for r in rows if r.host_collection_id]
        if hosts:
            rows += session.execute(
                select(
                    Collection.id, Collection.display_name, Collection.available, Collection.host_collection_id
                ).where(Collection.id.in_(hosts))
            ).all()
        self.unavailable = sorted({f"{r.display_name} ({r.id})" for r in rows if not r.available})

    # -- stop checks -----------------------------------------------------------------------
    def checkpoint(self, *, force: bool = False) -> None:
        """Between chunks: flush if due, then stop, fail at the deadline, or wait while blocked."""
        if self.stop_event.is_set():
            self._release()
        moment = time.monotonic()
        if force or moment - self.last_flush >= FLUSH_INTERVAL:
            self.flush()
        elif moment - self.last_check >= CHECK_INTERVAL:
            with session_scope(self.app) as session:
                self._read_state(session)
            self.last_check = moment
        else:
            return
        self._enforce()
        if self.is_paused or self.unavailable:
            self._wait_while_blocked()

    def _release(self) -> None:
        """Shutting down: save what was done and give the task back for the next start."""
        # A transfer redoes its unfinished item next time, so that item's counts (not its faults)
        # would double; a delete only finds what is left, so its counts stand.
        if self.redo_unfinished_item:
            self.item_deltas.pop("faults", None)
            self.deltas.subtract(self.item_deltas)
        self.item_deltas.clear()
        try:
            self.flush()
        finally:
            with write_lock, session_scope(self.app) as session:
                session.execute(
                    update(Task)
                    .where((Task.id == self.task_id) & (Task.runner_id == self.runner_id))
                    .values(lease_until=0.0)
                )
        raise TaskStopped(self.task_id)

    def _enforce(self) -> None:
        if self.stop_event.is_set():
            self._release()
        if self.status != "ACTIVE":
            raise TaskStopped(self.task_id)
        if now_seconds() > self.deadline:
            raise TaskFailed("DEADLINE_EXCEEDED", "The task deadline passed before the task completed.", expired=True)

    def _wait_while_blocked(self) -> None:
        # Waiting time is not transfer time: it does not count towards effective_bytes_per_second.
        if self.active_mark is not None:
            self.active_pending += time.monotonic() - self.active_mark
            self.active_mark = None
        reported: list[str] = []
        while self.is_paused or self.unavailable:
            if self.unavailable and self.unavailable != reported:
                reported = list(self.unavailable)
                details = "Unavailable: " + ", ".join(reported)
                self.add(faults=1)
                self.event("CONNECT_FAILED", "could not connect to the collection", details, is_error=True)
                self.set_nice_status("CONNECT_FAILED", "Could not connect to the collection", details)
            time.sleep(CHECK_INTERVAL)
            self.flush()
            self._enforce()
        if reported:
            self.event("CONNECTED", "the collection is available again", ", ".join(reported))
            self.set_nice_status("OK", "OK")
        self.active_mark = time.monotonic()

    def wait(self, seconds: float) -> None:
        """Sleep (e.g. before a retry) while still honouring cancel, deadline and pauses."""
        end = time.monotonic() + seconds
        while True:
            self.checkpoint()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, CHECK_INTERVAL))

    # -- endings ---------------------------------------------------------------------------
    def succeed(self) -> None:
        """Flush and mark the task SUCCEEDED (unless it was canceled meanwhile)."""
        self.flush()
        with write_lock, session_scope(self.app) as session:
            task = session.get(Task, self.task_id)
            if task is None or task.status != "ACTIVE" or task.runner_id != self.runner_id:
                return
            task.status = "SUCCEEDED"
            task.completion_time = now_seconds()
            task.subtasks_succeeded += task.subtasks_pending + task.subtasks_retrying
            task.subtasks_pending = task.subtasks_retrying = 0
            task.nice_status = task.nice_status_short_description = task.nice_status_details = None
            task.is_paused = False
            task.lease_until = 0.0
            add_event(
                session,
                task,
                "SUCCEEDED",
                "succeeded",
                f"{task.files_transferred} file(s) transferred"
                if task.type == "TRANSFER"
                else f"{task.files} file(s) deleted",
            )

    def fail(self, code: str, description: str, *, expired: bool = False) -> None:
        """Write what was done, then mark the task FAILED with this fatal error."""
        try:
            self.flush()
        except TaskStopped:
            return
        with write_lock, session_scope(self.app) as session:
            task = session.get(Task, self.task_id)
            if task is None or task.status != "ACTIVE" or task.runner_id != self.runner_id:
                return
            task.subtasks_failed += 0 if expired else 1
            task.subtasks_pending = max(0, task.subtasks_pending - (0 if expired else 1))
            finish_failed(session, task, code, description, expired=expired)
            add_event(session, task, code, "failed" if not expired else "deadline exceeded", description, is_error=True)
