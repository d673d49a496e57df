"""Reading tasks: who may see which task, task_list filters and ordering, event and per-file pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext
from emulator.errors import GlobusError
from emulator.transfer.errors import bad_request
from emulator.transfer.tasks.models import Task, TaskEvent, TaskFileResult

RESULTS_PAGE_SIZE = 100
MAX_MARKER = 2**63 - 1

TASK_STATUSES = ("ACTIVE", "INACTIVE", "SUCCEEDED", "FAILED")
TASK_TYPES = ("TRANSFER", "DELETE")
ORDERABLE = {
    "task_id": Task.id,
    "type": Task.type,
    "status": Task.status,
    "label": Task.label,
    "request_time": Task.request_time,
    "completion_time": Task.completion_time,
    "deadline": Task.deadline,
    "files": Task.files,
    "directories": Task.directories,
    "bytes_transferred": Task.bytes_transferred,
    "faults": Task.faults,
    "source_endpoint_id": Task.source_endpoint_id,
    "destination_endpoint_id": Task.destination_endpoint_id,
}


def task_not_found(task_id: str) -> GlobusError:
    """The 404 Transfer answers for a task the caller cannot see."""
    return GlobusError(404, "TaskNotFound", f"Task {task_id} not found.")


def load_task(session: Session, task_id: str) -> Task | None:
    """The task with this id, or None (malformed ids included)."""
    try:
        key = str(uuid.UUID(task_id))
    except ValueError:
        return None
    return session.get(Task, key)


def owned_task(session: Session, ctx: TokenContext, task_id: str) -> Task:
    """A task submitted by the caller (any of their linked identities), else 404."""
    task = load_task(session, task_id)
    if task is None or task.owner_id not in (set(ctx.identity_ids) | {ctx.identity_id}):
        raise task_not_found(task_id)
    return task


def _parse_time(text: str, name: str) -> float:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"Invalid date-time {text!r} in filter '{name}'.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def time_range(column: Any, raw: str, name: str) -> Any:
    """A "start,end" filter clause (either side may be blank) as a SQL condition."""
    start, sep, end = raw.partition(",")
    if not sep or (not start.strip() and not end.strip()):
        raise bad_request(f"Filter '{name}' must be 'start,end' with at least one side given.")
    clauses = []
    if start.strip():
        clauses.append(column >= _parse_time(start, name))
    if end.strip():
        clauses.append(column <= _parse_time(end, name))
    return and_(*clauses)


def _choices(raw: str, allowed: tuple[str, ...], name: str) -> list[str]:
    values = [v.strip().upper() for v in raw.split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if not values or bad:
        raise bad_request(f"Filter '{name}' accepts {', '.join(allowed)}; got {raw!r}.")
    return values


def _task_ids(raw: str) -> list[str]:
    ids = []
    for value in raw.split(","):
        try:
            ids.append(str(uuid.UUID(value.strip())))
        except ValueError:
            raise bad_request(f"Invalid task id {value!r} in filter 'task_id'.") from None
    return ids


def task_list_filters(raw: str | None) -> list[Any]:
    """Parse task_list's `filter` ("status:ACTIVE,INACTIVE/type:TRANSFER/label:~x/...")."""
    if not raw:
        return []
    conditions: list[Any] = []
    for clause in raw.split("/"):
        if not clause.strip():
            continue
        name, sep, value = clause.partition(":")
        name = name.strip()
        if not sep:
            raise bad_request(f"Filter clause {clause!r} must be 'field:value'.")
        if name == "status":
            conditions.append(Task.status.in_(_choices(value, TASK_STATUSES, name)))
        elif name == "type":
            conditions.append(Task.type.in_(_choices(value, TASK_TYPES, name)))
        elif name == "task_id":
            conditions.append(Task.id.in_(_task_ids(value)))
        elif name == "label":
            if value.startswith("~"):
                needle = value[1:].lower()
                conditions.append(func.lower(func.coalesce(Task.label, "")).contains(needle, autoescape=True))
            else:
                conditions.append(Task.label == value)
        elif name == "is_paused":
            flag = value.strip().lower()
            if flag not in ("true", "false"):
                raise bad_request("Filter 'is_paused' must be true or false.")
            conditions.append(Task.is_paused.is_(flag == "true"))
        elif name == "request_time":
            conditions.append(time_range(Task.request_time, value, name))
        elif name == "completion_time":
            conditions.append(time_range(Task.completion_time, value, name))
        elif name in ("endpoint", "source_endpoint_id", "destination_endpoint_id"):
            ids = [v.strip() for v in value.split(",") if v.strip()]
            if name == "endpoint":
                conditions.append(or_(Task.source_endpoint_id.in_(ids), Task.destination_endpoint_id.in_(ids)))
            else:
                conditions.append(getattr(Task, name).in_(ids))
        else:
            raise bad_request(f"Unknown filter field {name!r}.", "ClientError.BadRequest.InvalidFilter")
    return conditions


def task_list_order(raw: str | None) -> list[Any]:
    """Parse `orderby` ("request_time DESC,label"); newest first when absent."""
    if not raw:
        return [Task.request_time.desc(), Task.id]
    clauses: list[Any] = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        column = ORDERABLE.get(words[0])
        direction = words[1].upper() if len(words) > 1 else "ASC"
        if column is None or direction not in ("ASC", "DESC") or len(words) > 2:
            raise bad_request(f"Cannot order by {part.strip()!r}.", "ClientError.BadRequest.InvalidOrderBy")
        clauses.append(column.desc() if direction == "DESC" else column.asc())
    clauses.append(Task.id)
    return clauses


def page_of(session: Session, query: Select, limit: int, offset: int) -> tuple[list[Any], int]:
    """One limit/offset page of a query, with the total count of matching rows."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.limit(limit).offset(offset)))
    return rows, total


def event_page(
    session: Session, task: Task, limit: int, offset: int, *, errors_only: bool = False
) -> tuple[list[TaskEvent], int]:
    """A page of the task's events, newest first."""
    query = select(TaskEvent).where(TaskEvent.task_id == task.id)
    if errors_only:
        query = query.where(TaskEvent.is_error.is_(True))
    return page_of(session, query.order_by(TaskEvent.id.desc()), limit, offset)


def parse_marker(marker: str | None) -> int:
    """The row id a results `marker` resumes after (0 for the first page), else InvalidMarker.

    Markers are TaskFileResult ids, SQLite's signed 64-bit INTEGER: nothing outside 0..2**63-1 can be
    one, and SQLite refuses to bind such a number at all.
    """
    if marker in (None, ""):
        return 0
    try:
        start = int(marker)
    except ValueError:
        raise bad_request(f"Invalid marker {marker!r}.", "ClientError.BadRequest.InvalidMarker") from None
    if not 0 <= start <= MAX_MARKER:
        raise bad_request(f"Invalid marker {marker!r}.", "ClientError.BadRequest.InvalidMarker")
    return start


def results_page(session: Session, task: Task, kind: str, start: int) -> tuple[list[TaskFileResult], int | None]:
    """The per-file results after row id `start`; returns the rows and the next marker (None at the end)."""
    rows = list(
        session.scalars(
            select(TaskFileResult)
            .where(TaskFileResult.task_id == task.id, TaskFileResult.kind == kind, TaskFileResult.id > start)
            .order_by(TaskFileResult.id)
            .limit(RESULTS_PAGE_SIZE + 1)
        )
    )
    if len(rows) > RESULTS_PAGE_SIZE:
        rows = rows[:RESULTS_PAGE_SIZE]
        return rows, rows[-1].id
    return rows, None
