"""Transfer task tables: tasks, their items, events, per-file results, submission ids, admin cancels.

A task row holds what the task document reports (options, counters, status) plus what the runner
needs to execute it again after a restart (its items, the lease of the runner working on it).
"""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emulator.db import Base

# Terminal statuses: a task in one of these never changes again.
DONE_STATUSES = ("SUCCEEDED", "FAILED")
LIVE_STATUSES = ("ACTIVE", "INACTIVE")

# Counters reported in the task document, in the order the real service lists them.
COUNTER_FIELDS = (
    "files",
    "directories",
    "symlinks",
    "files_transferred",
    "files_skipped",
    "bytes_transferred",
    "bytes_checksummed",
    "faults",
    "subtasks_total",
    "subtasks_pending",
    "subtasks_retrying",
    "subtasks_succeeded",
    "subtasks_expired",
    "subtasks_canceled",
    "subtasks_failed",
    "subtasks_skipped_errors",
)


def now_seconds() -> float:
    """Wall-clock time with sub-second precision (tasks are ordered by it)."""
    return time.time()


def new_uuid() -> str:
    """A fresh random UUID string (task ids, submission ids)."""
    return str(uuid.uuid4())


class SubmissionId(Base):
    """A submission id handed out by GET /submission_id; once used it points at its task."""

    __tablename__ = "transfer_submission_ids"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    identity_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[float] = mapped_column(Float, default=now_seconds)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Task(Base):
    """One transfer or delete task: its options, its progress counters and its state."""

    __tablename__ = "transfer_tasks"
    __table_args__ = (Index("ix_transfer_tasks_owner_time", "owner_id", "request_time"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    type: Mapped[str] = mapped_column(String(8))  # TRANSFER | DELETE
    status: Mapped[str] = mapped_column(String(10), default="ACTIVE", index=True)
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(128), nullable=True)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_string: Mapped[str] = mapped_column(String(255), default="")
    client_id: Mapped[str] = mapped_column(String(36), default="")
    # Dependent scopes of the submitting token (data_access consents), for checks while running.
    dependent_scopes: Mapped[str] = mapped_column(Text, default="")
    source_endpoint_id: Mapped[str] = mapped_column(String(36), index=True)
    destination_endpoint_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    request_time: Mapped[float] = mapped_column(Float, default=now_seconds)
    completion_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    deadline: Mapped[float] = mapped_column(Float)

    # Options as submitted (None where the submitter left the service default).
    sync_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    verify_checksum: Mapped[bool] = mapped_column(Boolean, default=False)
    preserve_timestamp: Mapped[bool] = mapped_column(Boolean, default=False)
    encrypt_data: Mapped[bool] = mapped_column(Boolean, default=False)
    delete_destination_extra: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_source_errors: Mapped[bool] = mapped_column(Boolean, default=False)
    fail_on_quota_errors: Mapped[bool] = mapped_column(Boolean, default=False)
    recursive: Mapped[bool] = mapped_column(Boolean, default=False)  # delete tasks
    ignore_missing: Mapped[bool] = mapped_column(Boolean, default=False)  # delete tasks
    interpret_globs: Mapped[bool] = mapped_column(Boolean, default=False)  # delete tasks
    notify_on_succeeded: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_on_failed: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_on_inactive: Mapped[bool] = mapped_column(Boolean, default=True)
    source_local_user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    destination_local_user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recursive_symlinks: Mapped[str] = mapped_column(String(8), default="ignore")
    filter_rules_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Performance hints (perf_cc, perf_p, ...) are accepted and echoed, with no effect locally.
    extra_options_json: Mapped[str] = mapped_column(Text, default="{}")

    # Progress counters.
    files: Mapped[int] = mapped_column(Integer, default=0)
    directories: Mapped[int] = mapped_column(Integer, default=0)
    symlinks: Mapped[int] = mapped_column(Integer, default=0)
    files_transferred: Mapped[int] = mapped_column(Integer, default=0)
    files_skipped: Mapped[int] = mapped_column(Integer, default=0)
    bytes_transferred: Mapped[int] = mapped_column(Integer, default=0)
    bytes_checksummed: Mapped[int] = mapped_column(Integer, default=0)
    faults: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_total: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_pending: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_retrying: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_succeeded: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_expired: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_canceled: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_failed: Mapped[int] = mapped_column(Integer, default=0)
    subtasks_skipped_errors: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds spent actually moving data, for effective_bytes_per_second.
    active_seconds: Mapped[float] = mapped_column(Float, default=0.0)

    nice_status: Mapped[str | None] = mapped_column(String(32), nullable=True, default="Queued")
    nice_status_short_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    nice_status_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    fatal_error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fatal_error_description: Mapped[str | None] = mapped_column(Text, nullable=True)

    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    admin_pause_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    admin_paused_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    admin_paused_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    admin_pause_side: Mapped[str | None] = mapped_column(String(12), nullable=True)  # SOURCE|DESTINATION|BOTH
    canceled_by_admin: Mapped[str | None] = mapped_column(String(12), nullable=True)  # SOURCE|DESTINATION|BOTH
    canceled_by_admin_message: Mapped[str | None] = mapped_column(Text, nullable=True)

    # Which runner works on the task, and until when its claim holds (renewed while it runs).
    runner_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)

    @property
    def filter_rules(self) -> list[dict] | None:
        """The submitted filter rules (None when the submission had none)."""
        return None if self.filter_rules_json is None else json.loads(self.filter_rules_json)

    @property
    def extra_options(self) -> dict:
        """Accepted pass-through options such as perf_cc, echoed in the task document."""
        return json.loads(self.extra_options_json or "{}")

    @property
    def is_done(self) -> bool:
        """True once the task has SUCCEEDED or FAILED."""
        return self.status in DONE_STATUSES


class TaskItem(Base):
    """One submitted item: a transfer_item (source → destination) or a delete_item (path)."""

    __tablename__ = "transfer_task_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("transfer_tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    source_path: Mapped[str] = mapped_column(Text)  # the delete path for delete items
    destination_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    recursive: Mapped[bool] = mapped_column(Boolean, default=False)
    external_checksum: Mapped[str | None] = mapped_column(String(256), nullable=True)
    checksum_algorithm: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Set once the runner has finished the item, so a restarted task does not redo it.
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class TaskEvent(Base):
    """An entry of the task's event list (started, faults, pauses, success, failure...)."""

    __tablename__ = "transfer_task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("transfer_tasks.id", ondelete="CASCADE"), index=True)
    time: Mapped[float] = mapped_column(Float, default=now_seconds)
    code: Mapped[str] = mapped_column(String(64))
    is_error: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="")


class TaskFileResult(Base):
    """A per-file outcome: a successful transfer, or a path skipped under skip_source_errors.

    The autoincrement id doubles as the paging marker of successful_transfers/skipped_errors.
    """

    __tablename__ = "transfer_task_file_results"
    __table_args__ = (Index("ix_transfer_file_results_task_kind", "task_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("transfer_tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # success | skipped
    source_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    destination_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str | None] = mapped_column(String(256), nullable=True)
    checksum_algorithm: Mapped[str | None] = mapped_column(String(16), nullable=True)
    external_checksum: Mapped[str | None] = mapped_column(String(256), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    is_directory: Mapped[bool] = mapped_column(Boolean, default=False)
    is_symlink: Mapped[bool] = mapped_column(Boolean, default=False)
    is_delete_destination_extra: Mapped[bool] = mapped_column(Boolean, default=False)


class AdminCancel(Base):
    """An endpoint-manager cancel request over a list of tasks (GET admin_cancel/<id> reads it)."""

    __tablename__ = "transfer_admin_cancels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[float] = mapped_column(Float, default=now_seconds)
    message: Mapped[str] = mapped_column(Text, default="")
    task_ids: Mapped[str] = mapped_column(Text, default="")  # newline separated
    done: Mapped[bool] = mapped_column(Boolean, default=False)
