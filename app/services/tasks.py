"""Following tasks: the filtered task list, one task's progress, events, per-file results, cancel, resubmit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from concurrent.futures import wait
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from app.services import paths, submissions, user_clients
from app.services.errors import InvalidRequest
from app.services.finished_tasks import BoundedCache
from app.services.globus import transfer as upstream
from app.services.paging import parse_offset
from app.services.side_calls import beside
from app.services.task_records import (
    Event,
    EventPage,
    FileResult,
    FileResultPage,
    Task,
    TaskFolders,
    TaskPage,
    parse_time,
    task_from_document,
)

STATUS_CHOICES = {
    "ACTIVE": "Active",
    "INACTIVE": "Paused or waiting",
    "SUCCEEDED": "Succeeded",
    "FAILED": "Failed or cancelled",
}
TYPE_CHOICES = {"TRANSFER": "Transfers", "DELETE": "Deletions"}
TASK_PAGE_SIZE = 25
EVENT_PAGE_SIZE = 20
MAX_TASK_OFFSET = 100_000
TASK_ID_PATTERN = re.compile(r"^[0-9a-fA-F-]{32,36}$")
# Finished tasks cannot change: their pages (task, one events page, folders) and documents are
# kept per (user, task[, events offset]) — see app/services/finished_tasks.py.
_finished_views: BoundedCache[tuple[Task, EventPage, TaskFolders]] = BoundedCache()
_finished_tasks: BoundedCache[Task] = BoundedCache()


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
        args = {
            "status": self.status,
            "type": self.kind,
            "label": self.label,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
        }
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


@dataclass(frozen=True)
class TaskList:
    """The task list page: one page of tasks, or the filter the user must correct."""

    page: TaskPage | None = None
    error: InvalidRequest | None = None


def task_list(user_id: int, args: Mapping[str, str]) -> TaskList:
    """The task list for the page's query arguments (filters and offset); a bad filter is shown on the form."""
    try:
        return TaskList(page=list_tasks(user_id, parse_filters(args), parse_offset(args.get("offset"))))
    except InvalidRequest as err:
        return TaskList(error=err)


@dataclass(frozen=True)
class TaskView:
    """A task's page: the task, one page of its events, its folders and a token for resubmitting it."""

    task: Task
    events: EventPage
    folders: TaskFolders
    resubmit_token: str


def task_view(user_id: int, task_id: str, raw_events_offset: str | None) -> TaskView:
    """What a task's page shows: fresh from Transfer while it runs, remembered once it has ended."""
    task_id = check_task_id(task_id)
    offset = _event_offset(parse_offset(raw_events_offset, "events_offset"))
    page = _finished_views.get((user_id, task_id, offset))
    if page is None:
        page = _fresh_view(user_id, task_id, offset)
    task, events, folders = page
    return TaskView(task, events, folders, submissions.new_form_token())


def _fresh_view(user_id: int, task_id: str, offset: int) -> tuple[Task, EventPage, TaskFolders]:
    key = (user_id, task_id, offset)
    known = _finished_tasks.get((user_id, task_id))
    if known is not None:
        # Seen finished before (the progress poll, a files page): only this events page is
        # missing, and fetched now it is final.
        page = (known, list_events(user_id, task_id, offset), task_folders(user_id, task_id))
        _finished_views.put(key, page)
        return page
    client = user_clients.request_transfer_client(user_id)  # reads the token once, for both calls
    tokens = user_clients.request_tokens(user_id)
    # The events are asked for beside the task document: the page waits for the slower of two
    # calls instead of their sum.
    events_call = beside(lambda: _events_page(user_clients.side_transfer_client(tokens), task_id, offset))
    try:
        task = _fetch_task(user_id, task_id, client)
    finally:
        wait([events_call])  # no side call outlives its request, even when the task call failed
    events = events_call.result()
    folders = task_folders(user_id, task_id)
    if not task.is_done:
        return task, events, folders
    # Those events may predate the task's last one (it ended while both calls ran): what is
    # remembered for good is a page fetched after the task was seen finished.
    page = (task, list_events(user_id, task_id, offset), folders)
    _finished_views.put(key, page)
    return page


@dataclass(frozen=True)
class TaskFiles:
    """A task with one page of its transferred files ("successful") or skipped paths ("skipped")."""

    task: Task
    kind: str
    listing: FileResultPage


def task_files(user_id: int, task_id: str, kind: str, marker: str | None) -> TaskFiles:
    """One page of the files a task transferred, or of the paths it skipped, with the task."""
    task = get_task(user_id, task_id)
    results = successful_transfers if kind == "successful" else skipped_errors
    return TaskFiles(task, kind, results(user_id, task.task_id, marker))


def check_task_id(raw: str | None) -> str:
    """A task id (UUID) from a URL, or a clear error."""
    text = (raw or "").strip()
    if not TASK_ID_PATTERN.match(text):
        raise InvalidRequest("That is not a task id.", field="task_id")
    return text.lower()


def list_tasks(user_id: int, filters: TaskFilters, offset: int = 0) -> TaskPage:
    """One page of the user's transfer and delete tasks, newest first."""
    if not 0 <= offset <= MAX_TASK_OFFSET:
        raise InvalidRequest("That page does not exist.", field="offset")
    page = upstream.list_tasks(
        user_clients.request_transfer_client(user_id),
        limit=TASK_PAGE_SIZE,
        offset=offset,
        filters=filters.upstream(),
        orderby="request_time DESC",
    )
    tasks = [task_from_document(doc) for doc in page.get("DATA", [])]
    return TaskPage(
        tasks=tasks, filters=filters, offset=offset, limit=TASK_PAGE_SIZE, total=int(page.get("total") or 0)
    )


def get_task(user_id: int, task_id: str) -> Task:
    """One task: fresh from Transfer while it runs, remembered once it has ended."""
    task_id = check_task_id(task_id)
    return _finished_tasks.get((user_id, task_id)) or _fetch_task(user_id, task_id)


def _fetch_task(user_id: int, task_id: str, client: Any = None) -> Task:
    task = task_from_document(upstream.get_task(client or user_clients.request_transfer_client(user_id), task_id))
    plan = submissions.tracked_plan(user_id, task_id)
    measured = plan.document.get("expected_bytes") if plan is not None else None
    if isinstance(measured, int) and measured > 0:
        task = replace(task, expected_bytes=measured)
    if task.is_done:
        _finished_tasks.put((user_id, task_id), task)
    return task


def forget_user_tasks(user_id: int) -> None:
    """Drop this process's remembered finished tasks of a user (at logout)."""
    _finished_views.forget_user(user_id)
    _finished_tasks.forget_user(user_id)


def _event_offset(offset: int) -> int:
    if not 0 <= offset <= MAX_TASK_OFFSET:
        raise InvalidRequest("That page does not exist.", field="offset")
    return offset


def list_events(user_id: int, task_id: str, offset: int = 0) -> EventPage:
    """One page of a task's events (faults, retries, status changes)."""
    return _events_page(user_clients.request_transfer_client(user_id), check_task_id(task_id), _event_offset(offset))


def _events_page(client: Any, task_id: str, offset: int) -> EventPage:
    page = upstream.list_task_events(client, task_id, limit=EVENT_PAGE_SIZE, offset=offset)
    events = [
        Event(
            time=parse_time(d.get("time")),
            code=d.get("code") or "",
            description=d.get("description") or "",
            details=str(d.get("details") or ""),
            # Transfer flags its CANCELED event as an error; a cancel someone asked for is not one.
            is_error=bool(d.get("is_error")) and d.get("code") != "CANCELED",
        )
        for d in page.get("DATA", [])
    ]
    return EventPage(events=events, offset=offset, limit=EVENT_PAGE_SIZE, total=int(page.get("total") or 0))


def _check_marker(marker: str | None) -> str | None:
    if marker and (len(marker) > 512 or any(ord(c) < 32 for c in marker)):
        raise InvalidRequest("That page marker is not valid.", field="marker")
    return marker or None


def successful_transfers(user_id: int, task_id: str, marker: str | None = None) -> FileResultPage:
    """One page of the files a task transferred."""
    marker = _check_marker(marker)
    page = upstream.list_successful_transfers(
        user_clients.request_transfer_client(user_id), check_task_id(task_id), marker=marker
    )
    results = [FileResult(d.get("source_path") or "", d.get("destination_path") or "") for d in page.get("DATA", [])]
    return FileResultPage(results=results, marker=marker, next_marker=page.get("next_marker") or None)


def skipped_errors(user_id: int, task_id: str, marker: str | None = None) -> FileResultPage:
    """One page of the paths a task skipped because of source errors, with the reason."""
    marker = _check_marker(marker)
    page = upstream.list_skipped_errors(
        user_clients.request_transfer_client(user_id), check_task_id(task_id), marker=marker
    )
    results = [
        FileResult(
            d.get("source_path") or "",
            d.get("destination_path") or "",
            d.get("error_details") or d.get("error_code") or "",
        )
        for d in page.get("DATA", [])
    ]
    return FileResultPage(results=results, marker=marker, next_marker=page.get("next_marker") or None)


@dataclass(frozen=True)
class Cancellation:
    """What a cancel request did: the task's id and a sentence saying what happened."""

    task_id: str
    message: str


def cancel(user_id: int, task_id: str) -> Cancellation:
    """Ask Transfer to cancel a task."""
    task_id = check_task_id(task_id)
    answer = upstream.cancel_task(user_clients.request_transfer_client(user_id), task_id)
    if answer.get("code") == "TaskComplete":
        return Cancellation(task_id, "The task had already finished, so there was nothing to cancel.")
    return Cancellation(task_id, answer.get("message") or "The task was cancelled.")


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


def task_folders(user_id: int, task_id: str) -> TaskFolders:
    """The folders of the first item of a portal-submitted task (None for tasks made elsewhere)."""
    saved = submissions.tracked_plan(user_id, task_id)
    if saved is None or not saved.document.get("items"):
        return TaskFolders(None, None)
    first = saved.document["items"][0]
    if saved.kind == "delete":
        return TaskFolders(saved.document.get("folder") or paths.parent_of(first["path"]), None)
    return TaskFolders(paths.parent_of(first["source"]), paths.parent_of(first["destination"]))
