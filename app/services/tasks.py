"""Following tasks: the filtered task list, one task's progress, events, per-file results, cancel, resubmit."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Mapping

from app.services import paths, submissions
from app.services.errors import InvalidRequest
from app.services.globus import transfer as upstream

STATUS_CHOICES = {"ACTIVE": "Active", "INACTIVE": "Paused or waiting", "SUCCEEDED": "Succeeded", "FAILED": "Failed or cancelled"}
TYPE_CHOICES = {"TRANSFER": "Transfers", "DELETE": "Deletions"}
TASK_PAGE_SIZE = 25
EVENT_PAGE_SIZE = 20
MAX_TASK_OFFSET = 100_000
TASK_ID_PATTERN = re.compile(r"^[0-9a-fA-F-]{32,36}$")
RESUBMITTABLE = ("FAILED",)


@dataclass(frozen=True)
class TaskFilters:
    """What the task list is narrowed to."""

    status: str = ""
    kind: str = ""
    label: str = ""
    since: date | None = None
    until: date | None = None

    def upstream(self) -> dict[str, str | list[str]]:
        """The filter as Transfer's task_list `filter` clauses."""
        clauses: dict[str, str | list[str]] = {}
        if self.status:
            clauses["status"] = self.status
        if self.kind:
            clauses["type"] = self.kind
        if self.label:
            # "~" asks Transfer for a case-insensitive "contains" match.
            clauses["label"] = f"~{self.label}"
        if self.since or self.until:
            start = self.since.isoformat() if self.since else ""
            # Until a day means up to the end of that day.
            end = f"{self.until.isoformat()}T23:59:59" if self.until else ""
            clauses["request_time"] = f"{start},{end}"
        return clauses

    def query(self) -> dict[str, str]:
        """The filter as query-string arguments (for paging links)."""
        args = {"status": self.status, "type": self.kind, "label": self.label,
                "from": self.since.isoformat() if self.since else "", "to": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in args.items() if v}


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest("Dates look like 2026-11-23.", field=name) from None


def parse_filters(args: Mapping[str, str]) -> TaskFilters:
    """Read status/type/label/from/to from query arguments, refusing what Transfer cannot filter on."""
    status = (args.get("status") or "").upper()
    if status and status not in STATUS_CHOICES:
        raise InvalidRequest("Choose a status from the list.", field="status")
    kind = (args.get("type") or "").upper()
    if kind and kind not in TYPE_CHOICES:
        raise InvalidRequest("Choose transfers or deletions.", field="type")
    label = (args.get("label") or "").strip()
    # Commas and slashes separate clauses in Transfer's filter syntax, so they cannot be searched.
    if len(label) > 128 or any(c in label for c in ",/") or any(ord(c) < 32 for c in label):
        raise InvalidRequest("Label search cannot contain commas, slashes or control characters.", field="label")
    since, until = _day(args.get("from"), "from"), _day(args.get("to"), "to")
    if since and until and since > until:
        raise InvalidRequest("The start date is after the end date.", field="from")
    return TaskFilters(status=status, kind=kind, label=label, since=since, until=until)


def check_task_id(raw: str | None) -> str:
    """A task id (UUID) from a URL, or a clear error."""
    text = (raw or "").strip()
    if not TASK_ID_PATTERN.match(text):
        raise InvalidRequest("That is not a task id.", field="task_id")
    return text.lower()


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


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
        return {"ACTIVE": "Active", "INACTIVE": "Paused", "SUCCEEDED": "Succeeded", "FAILED": "Failed"}.get(self.status, self.status.title())

    @property
    def percent(self) -> int:
        """How far along the task is, 0-100 (100 only once it succeeded)."""
        if self.status == "SUCCEEDED":
            return 100
        if self.subtasks_total > 0:
            done = self.subtasks_done
            total = self.subtasks_total
        elif self.files > 0:
            done = self.files_transferred + self.files_skipped
            total = self.files
        else:
            return 0
        return min(99, int(100 * done / total)) if not self.is_done else min(100, int(100 * done / total))

    @property
    def can_cancel(self) -> bool:
        """Only tasks still running can be cancelled."""
        return not self.is_done

    @property
    def can_resubmit(self) -> bool:
        """Failed or cancelled tasks can be run again with the same options."""
        return self.status in RESUBMITTABLE


def _task(doc: dict[str, Any]) -> Task:
    fatal = doc.get("fatal_error") or {}
    pending = int(doc.get("subtasks_pending") or 0) + int(doc.get("subtasks_retrying") or 0)
    total = int(doc.get("subtasks_total") or 0)
    option_names = ("sync_level", "verify_checksum", "preserve_timestamp", "encrypt_data", "delete_destination_extra",
                    "skip_source_errors", "fail_on_quota_errors", "filter_rules", "recursive")
    return Task(
        task_id=str(doc.get("task_id")),
        kind=doc.get("type") or "TRANSFER",
        status=doc.get("status") or "",
        label=doc.get("label") or "",
        source_id=doc.get("source_endpoint_id"),
        source_name=doc.get("source_endpoint_display_name") or doc.get("source_endpoint_id") or "",
        destination_id=doc.get("destination_endpoint_id"),
        destination_name=doc.get("destination_endpoint_display_name") or doc.get("destination_endpoint_id") or "",
        requested=_time(doc.get("request_time")),
        completed=_time(doc.get("completion_time")),
        deadline=_time(doc.get("deadline")),
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


@dataclass(frozen=True)
class TaskPage:
    """One page of the task list."""

    tasks: list[Task]
    filters: TaskFilters
    offset: int
    limit: int
    total: int

    @property
    def previous_offset(self) -> int | None:
        """Offset of the previous page, or None on the first."""
        return None if self.offset <= 0 else max(0, self.offset - self.limit)

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last."""
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def list_tasks(user_id: int, filters: TaskFilters, offset: int = 0) -> TaskPage:
    """One page of the user's transfer and delete tasks, newest first."""
    if not 0 <= offset <= MAX_TASK_OFFSET:
        raise InvalidRequest("That page does not exist.", field="offset")
    page = upstream.list_tasks(
        upstream.user_client(user_id), limit=TASK_PAGE_SIZE, offset=offset, filters=filters.upstream(), orderby="request_time DESC"
    )
    tasks = [_task(doc) for doc in page.get("DATA", [])]
    return TaskPage(tasks=tasks, filters=filters, offset=offset, limit=TASK_PAGE_SIZE, total=int(page.get("total") or 0))


def get_task(user_id: int, task_id: str) -> Task:
    """One task, fresh from Transfer (its status is noted if the portal submitted it)."""
    task = _task(upstream.get_task(upstream.user_client(user_id), check_task_id(task_id)))
    submissions.note_status(user_id, task.task_id, task.status)
    return task


@dataclass(frozen=True)
class Event:
    """One entry of a task's event log."""

    time: datetime | None
    code: str
    description: str
    details: str
    is_error: bool


@dataclass(frozen=True)
class EventPage:
    """One page of a task's events, newest first."""

    events: list[Event]
    offset: int
    limit: int
    total: int

    @property
    def previous_offset(self) -> int | None:
        """Offset of the previous page, or None on the first."""
        return None if self.offset <= 0 else max(0, self.offset - self.limit)

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last."""
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def list_events(user_id: int, task_id: str, offset: int = 0) -> EventPage:
    """One page of a task's events (faults, retries, status changes)."""
    if not 0 <= offset <= MAX_TASK_OFFSET:
        raise InvalidRequest("That page does not exist.", field="offset")
    page = upstream.list_task_events(upstream.user_client(user_id), check_task_id(task_id), limit=EVENT_PAGE_SIZE, offset=offset)
    events = [
        Event(time=_time(d.get("time")), code=d.get("code") or "", description=d.get("description") or "",
              details=str(d.get("details") or ""), is_error=bool(d.get("is_error")))
        for d in page.get("DATA", [])
    ]
    return EventPage(events=events, offset=offset, limit=EVENT_PAGE_SIZE, total=int(page.get("total") or 0))


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


def _check_marker(marker: str | None) -> str | None:
    if marker and (len(marker) > 512 or any(ord(c) < 32 for c in marker)):
        raise InvalidRequest("That page marker is not valid.", field="marker")
    return marker or None


def successful_transfers(user_id: int, task_id: str, marker: str | None = None) -> FileResultPage:
    """One page of the files a task transferred."""
    marker = _check_marker(marker)
    page = upstream.list_successful_transfers(upstream.user_client(user_id), check_task_id(task_id), marker=marker)
    results = [FileResult(d.get("source_path") or "", d.get("destination_path") or "") for d in page.get("DATA", [])]
    return FileResultPage(results=results, marker=marker, next_marker=page.get("next_marker") or None)


def skipped_errors(user_id: int, task_id: str, marker: str | None = None) -> FileResultPage:
    """One page of the paths a task skipped because of source errors, with the reason."""
    marker = _check_marker(marker)
    page = upstream.list_skipped_errors(upstream.user_client(user_id), check_task_id(task_id), marker=marker)
    results = [
        FileResult(d.get("source_path") or "", d.get("destination_path") or "",
                   d.get("error_details") or d.get("error_code") or "")
        for d in page.get("DATA", [])
    ]
    return FileResultPage(results=results, marker=marker, next_marker=page.get("next_marker") or None)


def cancel(user_id: int, task_id: str) -> str:
    """Ask Transfer to cancel a task; returns a sentence saying what happened."""
    answer = upstream.cancel_task(upstream.user_client(user_id), check_task_id(task_id))
    if answer.get("code") == "TaskComplete":
        return "The task had already finished, so there was nothing to cancel."
    return answer.get("message") or "The task was cancelled."


def resubmission_document(user_id: int, task_id: str) -> dict[str, Any]:
    """The saved request of a failed or cancelled task, ready to submit again as a new task."""
    task = get_task(user_id, task_id)
    if not task.can_resubmit:
        raise InvalidRequest("Only failed or cancelled tasks can be resubmitted.", field="task_id")
    saved = submissions.tracked_submission(user_id, task.task_id)
    if saved is None:
        raise InvalidRequest(
            "This task was not submitted through the portal, so its file list is not known here.", field="task_id"
        )
    document = dict(saved.document)
    document["resubmitted_from"] = task.task_id
    return document


def resubmit(user_id: int, task_id: str, form_token: str | None) -> submissions.Submitted:
    """Run a failed or cancelled task again with the same items and options (at most once per form)."""
    return submissions.submit_once(user_id, form_token, resubmission_document(user_id, task_id))


@dataclass(frozen=True)
class TaskFolders:
    """Where a task's files came from and went to, for links back into the file manager."""

    source_folder: str | None
    destination_folder: str | None


def task_folders(user_id: int, task_id: str) -> TaskFolders:
    """The folders of the first item of a portal-submitted task (None for tasks made elsewhere)."""
    saved = submissions.tracked_submission(user_id, task_id)
    if saved is None or not saved.document.get("items"):
        return TaskFolders(None, None)
    first = saved.document["items"][0]
    if saved.kind == "delete":
        return TaskFolders(saved.document.get("folder") or paths.parent_of(first["path"]), None)
    return TaskFolders(paths.parent_of(first["source"]), paths.parent_of(first["destination"]))
