"""Watching the tasks the gateway submitted, per user, with back-off, and turning changes into events.

Every tracked task that has not ended carries `next_check_at`. A poll takes ONE user: it leases
that user's tasks due soon (a committed UPDATE, so another consumer skips them), asks Transfer for
all of them in one `task_list` call (filter task_id:a,b,c), stores what it learned with each
task's next check time, and raises the events once each:

- SUCCEEDED / FAILED: "task_succeeded" / "task_failed" notifications, and the task-end listeners
  (automations chain their next step there), exactly once per task;
- INACTIVE or is_paused (expired credentials, a pause rule, an administrator): "task_paused", once
  per pause;
- repeated faults on a still-active task (Transfer's `faults` count reaching 5, 10, 20...):
  "task_paused", telling the user it struggles.

A poll that dies half-way loses nothing: its lease expires and the tasks are polled again, and
nothing it learned (events included) was committed. The interval grows with the task's age:
seconds for a new task, ten minutes for one a day old; failures to get an answer double it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from app.database import rows_affected
from app.extensions import db
from app.models.timestamps import utcnow
from app.models.tracked_task import TrackedTask
from app.services import notifications, token_health, token_records, user_clients
from app.services.errors import DomainError, ReauthenticationRequired
from app.services.globus import transfer as upstream
from app.services.globus.clients import TRANSFER_RESOURCE_SERVER

log = logging.getLogger(__name__)

FIRST_CHECK = timedelta(seconds=5)
MIN_INTERVAL = timedelta(seconds=5)
MAX_INTERVAL = timedelta(minutes=10)
MAX_FAILURE_INTERVAL = timedelta(minutes=30)
# The interval is this share of the task's age: 1 % (a 10-minute-old task every 6 s).
AGE_SHARE = 100
# How long a poll may hold its tasks before another consumer may take them over.
LEASE = timedelta(minutes=5)
# A user's poll also takes the tasks due within this horizon: the same call covers them.
HORIZON = timedelta(seconds=60)
# Transfer's task_list pages at 1,000; ids per call are kept well under URL length limits.
IDS_PER_CALL = 100
FAULTS_WORTH_TELLING = 5
ENDED = ("SUCCEEDED", "FAILED")

TaskEndListener = Callable[[int, str, str], None]
_end_listeners: list[TaskEndListener] = []


def register_task_end_listener(listener: TaskEndListener) -> None:
    """Call `listener(user_id, task_id, status)` once per task reaching SUCCEEDED or FAILED.

    It runs inside the poll's unit of work: what it writes commits with the task's new state (and
    rolls back with it), and anything it queues with after_commit runs only after that commit.
    """
    if listener not in _end_listeners:
        _end_listeners.append(listener)


@dataclass(frozen=True)
class PollReport:
    """What one user's poll did."""

    user_id: int
    polled: int
    ended: int
    upstream_calls: int
    failed: bool
    next_due: datetime | None


def check_interval(age: timedelta, failures: int = 0) -> timedelta:
    """How long to wait before asking about a task of this age again (doubling per failure)."""
    base = min(MAX_INTERVAL, max(MIN_INTERVAL, age / AGE_SHARE))
    if failures <= 0:
        return base
    return min(MAX_FAILURE_INTERVAL, base * (2 ** min(failures, 10)))


def start_watching(task: TrackedTask) -> timedelta:
    """Schedule the first check of a newly tracked task; returns how soon it is due."""
    task.next_check_at = utcnow() + FIRST_CHECK
    return FIRST_CHECK


def due_users(*, now: datetime | None = None, limit: int = 10_000) -> list[tuple[int, datetime]]:
    """Users with tasks due within the horizon, with the earliest due time of each, soonest first."""
    now = now or utcnow()
    soonest = func.min(TrackedTask.next_check_at)
    rows = db.session.execute(
        select(TrackedTask.user_id, soonest)
        .where(TrackedTask.next_check_at.is_not(None), TrackedTask.next_check_at <= now + HORIZON)
        .group_by(TrackedTask.user_id)
        .order_by(soonest)
        .limit(limit)
    ).all()
    return [(int(user_id), due) for user_id, due in rows if due is not None]


def poll_user(user_id: int, *, now: datetime | None = None) -> PollReport:
    """Poll every task of the user due within the horizon with one task_list call (per 100 tasks)."""
    now = now or utcnow()
    tasks = _lease(user_id, now)
    if not tasks:
        return PollReport(user_id, 0, 0, 0, False, _next_due(user_id))
    if token_health.tokens_dead(user_id) is not None:
        # Nobody can act for the user until they log in again, which restarts the watching.
        _park(tasks)
        return PollReport(user_id, len(tasks), 0, 0, True, None)
    documents: dict[str, dict] = {}
    calls = 0
    try:
        client = user_clients.transfer_client(user_id, for_worker=True)
        for start in range(0, len(tasks), IDS_PER_CALL):
            chunk = [task.task_id for task in tasks[start : start + IDS_PER_CALL]]
            calls += 1
            documents.update({str(doc.get("task_id")): doc for doc in upstream.task_documents(client, chunk)})
    except ReauthenticationRequired as exc:
        if not exc.scopes:
            token_health.mark_tokens_dead(user_id, _why_no_login(user_id))
            _park(tasks)
            return PollReport(user_id, len(tasks), 0, calls, True, None)
        # A consent Transfer wants for something else: the tasks stay watched, with back-off.
        log.warning("polling tasks of user %s needs consent to %s", user_id, exc.scopes)
        for task in tasks:
            _failed(task, now)
        db.session.flush()
        return PollReport(user_id, len(tasks), 0, calls, True, _next_due(user_id))
    except DomainError as exc:
        log.warning("polling %d task(s) of user %s failed: %s", len(tasks), user_id, type(exc).__name__)
        for task in tasks:
            _failed(task, now)
        db.session.flush()
        return PollReport(user_id, len(tasks), 0, calls, True, _next_due(user_id))
    ended = 0
    for task in tasks:
        document = documents.get(task.task_id)
        if document is None:
            # Transfer did not list it (not visible to this identity any more): retry with back-off.
            _failed(task, now)
            continue
        ended += _apply(task, document, now)
    db.session.flush()
    return PollReport(user_id, len(tasks), ended, calls, False, _next_due(user_id))


def resume_watching(user_id: int) -> int:
    """Watch the user's unfinished tasks again (after a login with fresh tokens); returns how many."""
    result = db.session.execute(
        update(TrackedTask)
        .where(TrackedTask.user_id == user_id, TrackedTask.ended_at.is_(None), TrackedTask.next_check_at.is_(None))
        .values(next_check_at=utcnow(), poll_failures=0, poll_claim=None)
    )
    return rows_affected(result)


def _lease(user_id: int, now: datetime) -> list[TrackedTask]:
    """Take the user's due tasks for this poll, committed, so a concurrent poll skips them."""
    claim = secrets.token_hex(16)
    db.session.execute(
        update(TrackedTask)
        .where(
            TrackedTask.user_id == user_id,
            TrackedTask.ended_at.is_(None),
            TrackedTask.next_check_at.is_not(None),
            TrackedTask.next_check_at <= now + HORIZON,
        )
        .values(poll_claim=claim, next_check_at=now + LEASE)
    )
    # A documented early commit (like a submission's id): the lease must hold before Globus is
    # called, or two consumers would poll, and report, the same tasks.
    db.session.commit()
    return list(db.session.scalars(select(TrackedTask).where(TrackedTask.poll_claim == claim)))


def _park(tasks: list[TrackedTask]) -> None:
    for task in tasks:
        task.poll_claim = None
        task.next_check_at = None
    db.session.flush()


def _failed(task: TrackedTask, now: datetime) -> None:
    task.poll_claim = None
    task.poll_failures = (task.poll_failures or 0) + 1
    task.next_check_at = now + check_interval(now - task.created_at, task.poll_failures)


def _apply(task: TrackedTask, document: dict, now: datetime) -> int:
    """Store the task's state and raise its events; 1 when it ended now."""
    status = str(document.get("status") or "")
    task.last_status = status
    task.status_checked_at = now
    task.poll_claim = None
    task.poll_failures = 0
    label = task.label or document.get("label") or task.task_id
    link = f"/tasks/{task.task_id}"
    if status in ENDED:
        task.next_check_at = None
        if task.ended_at is not None:
            return 0
        task.ended_at = now
        _notify_end(task, status, label, document, link)
        for listener in list(_end_listeners):
            listener(task.user_id, task.task_id, status)
        return 1
    task.next_check_at = now + check_interval(now - task.created_at)
    # INACTIVE: suspended until someone acts (an expired credential); is_paused: held by a pause
    # rule or an endpoint administrator while its status stays ACTIVE.
    if status == "INACTIVE" or document.get("is_paused"):
        if not task.pause_notified:
            task.pause_notified = True
            reason = document.get("nice_status_short_description") or document.get("nice_status") or "paused"
            notifications.notify(
                task.user_id,
                "task_paused",
                f"Transfer paused: {label}",
                f"Globus paused the task ({reason}). It resumes by itself once the cause is fixed, "
                "for example after you renew a credential or free space at the destination.",
                link=link,
            )
    else:
        # Running again: a later pause is news again.
        task.pause_notified = False
    faults = int(document.get("faults") or 0)
    if faults >= FAULTS_WORTH_TELLING and faults >= 2 * (task.faults_notified or 0):
        task.faults_notified = faults
        notifications.notify(
            task.user_id,
            "task_paused",
            f"Transfer keeps hitting faults: {label}",
            f"Globus has retried this task {faults} times so far (it keeps retrying by itself). "
            "Check that both collections are reachable.",
            link=link,
        )
    return 0


def _notify_end(task: TrackedTask, status: str, label: str, document: dict, link: str) -> None:
    if status == "SUCCEEDED":
        files = int(document.get("files_transferred") or 0)
        size = int(document.get("bytes_transferred") or 0)
        notifications.notify(
            task.user_id,
            "task_succeeded",
            f"Transfer succeeded: {label}",
            f"{files} file(s), {size} bytes transferred.",
            link=link,
        )
        return
    fatal = document.get("fatal_error") or {}
    cancelled = isinstance(fatal, dict) and fatal.get("code") == "CANCELED"
    reason = (fatal.get("description") or fatal.get("code")) if isinstance(fatal, dict) else str(fatal)
    notifications.notify(
        task.user_id,
        "task_failed",
        f"Transfer {'cancelled' if cancelled else 'failed'}: {label}",
        f"The task did not complete: {reason or 'no reason given'}.",
        link=link,
    )


def _next_due(user_id: int) -> datetime | None:
    return db.session.scalar(
        select(func.min(TrackedTask.next_check_at)).where(
            TrackedTask.user_id == user_id, TrackedTask.ended_at.is_(None), TrackedTask.next_check_at.is_not(None)
        )
    )


def _why_no_login(user_id: int) -> str:
    # Logout revokes and deletes every token: the gateway has nothing left to act with. Otherwise
    # a stored grant exists and Globus refused it (revoked, consent withdrawn, unused for months).
    if token_records.read_token(user_id, TRANSFER_RESOURCE_SERVER) is None:
        # Also true of someone who has only used the JSON API: its tokens are the caller's, held
        # for a request, never stored for the worker (docs/api.md).
        return "the gateway holds no Globus login for you (you signed out, or have only used its API)"
    return "Globus refused the stored login (expired or revoked)"
