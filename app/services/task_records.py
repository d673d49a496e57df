"""What the task pages show, as plain data: tasks, pages of tasks and events, per-file results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.services.paging import CountedOffsetPaging, parse_time
from app.services.units import filesize

if TYPE_CHECKING:  # tasks.py imports this module; the filters type is only named here
    from app.services.tasks import TaskFilters

# Failed covers cancelled too: Transfer reports a cancelled task as FAILED with fatal_error CANCELED.
RESUBMITTABLE = ("FAILED",)
# Transfer reports a task's sync level as a number; the portal's forms use these names.
SYNC_LEVEL_NAMES = {0: "exists", 1: "size", 2: "mtime", 3: "checksum"}


@dataclass(frozen=True)
class Task:
    """A task as the portal shows it (list rows and the task page)."""

    task_id: str
    kind: str
    status: str
    label: str
    source_id: str | None
    source_name: str
    destination_id: str | None
    destination_name: str
    requested: datetime | None
    completed: datetime | None
    deadline: datetime | None
    files: int
    directories: int
    files_transferred: int
    files_skipped: int
    skipped_errors: int
    bytes_transferred: int
    bytes_per_second: int
    faults: int
    subtasks_total: int
    subtasks_done: int
    nice_status: str
    fatal_error: str
    cancelled: bool
    options: dict[str, Any] = field(default_factory=dict)
    # Bytes the portal measured in the selection before submitting (None: not known).
    expected_bytes: int | None = None

    @property
    def is_done(self) -> bool:
        """True once the task can no longer change."""
        return self.status in ("SUCCEEDED", "FAILED")

    @property
    def status_label(self) -> str:
        """The state in words."""
        if self.cancelled:
            return "Cancelled"
        if self.status == "ACTIVE" and self.nice_status and self.nice_status not in ("OK", "Queued"):
            return f"Active ({self.nice_status.replace('_', ' ').lower()})"
        return {"ACTIVE": "Active", "INACTIVE": "Paused", "SUCCEEDED": "Succeeded", "FAILED": "Failed"}.get(
            self.status, self.status.title()
        )

    @property
    def status_class(self) -> str:
        """The state for styling: a cancel the user asked for is not shown as a failure."""
        return "CANCELLED" if self.cancelled else self.status

    @property
    def progress_basis(self) -> str | None:
        """What a percentage would measure: "bytes" (the total is known), "files", "items" or None.

        Transfer reports what has been moved, not what is expected: the byte total is known only
        when the portal measured the selection before submitting (`expected_bytes`).
        """
        if self.kind != "TRANSFER":
            return "items" if self.subtasks_total > 0 else None
        if self.expected_bytes:
            return "bytes"
        return "files" if self.files > 0 else None

    @property
    def percent(self) -> int:
        """How much of what `progress_basis` measures is done, 0-100 (0 while nothing is known).

        100 only for a task that succeeded; a failed or cancelled task keeps the share it reached.
        """
        if self.status == "SUCCEEDED":
            return 100
        basis = self.progress_basis
        if basis == "bytes" and self.expected_bytes:
            done, total = self.bytes_transferred, self.expected_bytes
        elif basis == "files":
            done, total = self.files_transferred + self.files_skipped, self.files
        elif basis == "items":
            done, total = self.subtasks_done, self.subtasks_total
        else:
            return 0
        return min(99, int(100 * done / total))

    @property
    def shows_bar(self) -> bool:
        """A progress bar only while a running task has something it measures truthfully."""
        return not self.is_done and self.progress_basis is not None

    @property
    def progress_text(self) -> str:
        """What is known, as what it is: '20 of 21 files · 1.1 MB of 5.6 MB moved · 300 KB/s'."""
        if self.kind != "TRANSFER":
            if self.subtasks_total == 0:
                return "Preparing…" if not self.is_done else "Nothing was deleted."
            return f"{self.subtasks_done} of {_count(self.subtasks_total, 'item')} deleted"
        if self.files == 0 and self.bytes_transferred == 0 and not self.is_done:
            return "Preparing… (Globus is finding the files to copy)"
        parts = [f"{self.files_transferred + self.files_skipped} of {_count(self.files, 'file')}"]
        moved = _bytes(self.bytes_transferred)
        parts.append(f"{moved} of {_bytes(self.expected_bytes)} moved" if self.expected_bytes else f"{moved} moved")
        if not self.is_done and self.bytes_per_second:
            parts.append(f"{_bytes(self.bytes_per_second)}/s")
        return " · ".join(parts)

    @property
    def eta_seconds(self) -> int | None:
        """Seconds left at the average rate so far, where the byte total is known."""
        if self.is_done or not self.expected_bytes or self.bytes_per_second <= 0:
            return None
        return max(0, int((self.expected_bytes - self.bytes_transferred) / self.bytes_per_second))

    @property
    def eta_text(self) -> str:
        """The time left in words ('' when it cannot be known)."""
        seconds = self.eta_seconds
        if seconds is None:
            return ""
        if seconds < 90:
            return "less than two minutes left"
        if seconds < 90 * 60:
            return f"about {round(seconds / 60)} minutes left"
        return f"about {round(seconds / 3600, 1):g} hours left"

    @property
    def outcome_text(self) -> str:
        """What happened, for a finished task ('' while it runs)."""
        if not self.is_done:
            return ""
        if self.cancelled:
            return "Cancelled at your request."
        if self.status == "FAILED":
            return f"Failed: {self.fatal_error}" if self.fatal_error else "Failed."
        return "Deleted everything selected." if self.kind != "TRANSFER" else "Everything was transferred."

    @property
    def sync_level_text(self) -> str:
        """The task's sync level by name, as the transfer form offers it."""
        level = self.options.get("sync_level")
        named = SYNC_LEVEL_NAMES.get(level, level) if isinstance(level, int) else level
        return str(named or "none (copy everything)")

    @property
    def can_cancel(self) -> bool:
        """Only tasks still running can be cancelled."""
        return not self.is_done

    @property
    def can_resubmit(self) -> bool:
        """Failed or cancelled tasks can be run again with the same options."""
        return self.status in RESUBMITTABLE


def task_from_document(doc: dict[str, Any]) -> Task:
    """A Transfer task document as the portal's Task."""
    fatal = doc.get("fatal_error") or {}
    pending = int(doc.get("subtasks_pending") or 0) + int(doc.get("subtasks_retrying") or 0)
    total = int(doc.get("subtasks_total") or 0)
    option_names = (
        "sync_level",
        "verify_checksum",
        "preserve_timestamp",
        "encrypt_data",
        "delete_destination_extra",
        "skip_source_errors",
        "fail_on_quota_errors",
        "filter_rules",
        "recursive",
    )
    return Task(
        task_id=str(doc.get("task_id")),
        kind=doc.get("type") or "TRANSFER",
        status=doc.get("status") or "",
        label=doc.get("label") or "",
        source_id=doc.get("source_endpoint_id"),
        source_name=doc.get("source_endpoint_display_name") or doc.get("source_endpoint_id") or "",
        destination_id=doc.get("destination_endpoint_id"),
        destination_name=doc.get("destination_endpoint_display_name") or doc.get("destination_endpoint_id") or "",
        requested=parse_time(doc.get("request_time")),
        completed=parse_time(doc.get("completion_time")),
        deadline=parse_time(doc.get("deadline")),
        files=int(doc.get("files") or 0),
        directories=int(doc.get("directories") or 0),
        files_transferred=int(doc.get("files_transferred") or 0),
        files_skipped=int(doc.get("files_skipped") or 0),
        skipped_errors=int(doc.get("subtasks_skipped_errors") or 0),
        bytes_transferred=int(doc.get("bytes_transferred") or 0),
        bytes_per_second=int(doc.get("effective_bytes_per_second") or 0),
        faults=int(doc.get("faults") or 0),
        subtasks_total=total,
        subtasks_done=max(0, total - pending),
        nice_status=doc.get("nice_status") or "",
        fatal_error=(fatal.get("description") or fatal.get("code") or "") if isinstance(fatal, dict) else str(fatal),
        cancelled=isinstance(fatal, dict) and fatal.get("code") == "CANCELED",
        options={name: doc.get(name) for name in option_names if name in doc},
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _bytes(value: int | None) -> str:
    return filesize(value)


@dataclass(frozen=True)
class TaskPage(CountedOffsetPaging):
    """One page of the task list."""

    tasks: list[Task]
    filters: TaskFilters
    offset: int
    limit: int
    total: int


@dataclass(frozen=True)
class Event:
    """One entry of a task's event log."""

    time: datetime | None
    code: str
    description: str
    details: str
    is_error: bool


@dataclass(frozen=True)
class EventPage(CountedOffsetPaging):
    """One page of a task's events, newest first."""

    events: list[Event]
    offset: int
    limit: int
    total: int


@dataclass(frozen=True)
class FileResult:
    """One file a task moved, or one path it skipped and why."""

    source_path: str
    destination_path: str
    error: str = ""


@dataclass(frozen=True)
class FileResultPage:
    """One page of per-file results, paged by Transfer's marker."""

    results: list[FileResult]
    marker: str | None
    next_marker: str | None


@dataclass(frozen=True)
class TaskFolders:
    """Where a task's files came from and went to, for links back into the file manager."""

    source_folder: str | None
    destination_folder: str | None
