"""At-most-once task submission.

Order matters: (1) find or create the submission row for this form token, with a submission id
from Transfer, and COMMIT it; (2) call Transfer with that id; (3) record the task. A repeat of
the same form at any point — a double click racing the first request, a refresh, a retry after a
timeout, the replay after a consent detour — lands on the same row and the same submission id,
which Transfer answers with the task it already made.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import has_request_context
from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.timestamps import utcnow
from app.models.tracked_task import TrackedTask, TransferSubmission
from app.services import notifications, task_watch, user_clients
from app.services.errors import DomainError, InvalidRequest
from app.services.globus import transfer as upstream
from app.worker.queue import enqueue_after_commit

FORM_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
GLOBUS_NOTIFY_OPTIONS = ("notify_on_succeeded", "notify_on_failed", "notify_on_inactive")
# Resuming unfinished submissions (see unfinished_submissions): who is old enough, and until when.
RESUME_AFTER = timedelta(minutes=2)
RESUME_WITHIN = timedelta(days=3)
RESUME_MAX_ATTEMPTS = 10
# Failures that say nothing about the request itself (Globus or a collection was unreachable).
RESUMABLE_ERRORS = ("RemoteUnavailable", "CollectionUnavailable", "NetworkError")


@dataclass(frozen=True)
class Submitted:
    """The outcome of a submission: the task, and whether an earlier press already made it."""

    task_id: str
    kind: str
    reused: bool
    # Something the page should add to "submitted" (e.g. how much of a batch list was checked first).
    note: str = ""


def new_form_token() -> str:
    """A fresh token identifying one rendering of a submit form."""
    return secrets.token_urlsafe(24)


def token_after(refusal: DomainError | None, form_token: str | None) -> str:
    """The token a refused form is shown again with: the same one (a retry stays the same submission)
    unless the token itself was refused."""
    return new_form_token() if getattr(refusal, "field", None) == "form_token" else (form_token or "")


def _check_token(form_token: str | None) -> str:
    token = form_token or ""
    if not FORM_TOKEN_PATTERN.match(token):
        raise InvalidRequest("This form has expired; open it again and resubmit.", field="form_token")
    return token


def _find(user_id: int, form_token: str) -> TransferSubmission | None:
    return db.session.scalar(
        select(TransferSubmission).where(
            TransferSubmission.user_id == user_id, TransferSubmission.form_token == form_token
        )
    )


def _saved_submission(user_id: int, form_token: str, document: dict[str, Any], client: Any) -> TransferSubmission:
    existing = _find(user_id, form_token)
    if existing is not None:
        return existing
    row = TransferSubmission(
        user_id=user_id,
        form_token=form_token,
        submission_id=upstream.new_submission_id(client),
        kind=document["kind"],
        document=_with_globus_emails(user_id, document),
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent press of the same form saved its row first: use that one.
        db.session.rollback()
        existing = _find(user_id, form_token)
        if existing is None:
            raise
        return existing
    return row


def _with_globus_emails(user_id: int, document: dict[str, Any]) -> dict[str, Any]:
    """The document with Globus' own task emails off, unless the user wants them.

    The gateway tells the user itself (app/services/notifications.py); Globus' emails on top
    would say everything twice (the Globus CLI's `--notify off` is for applications like this).
    """
    if notifications.globus_emails_enabled(user_id):
        return document
    return {**document, **{name: False for name in GLOBUS_NOTIFY_OPTIONS}}


def already_saved(user_id: int, form_token: str | None) -> bool:
    """True when this form was submitted before (its saved document wins over anything new)."""
    if not form_token or not FORM_TOKEN_PATTERN.match(form_token):
        return False
    return _find(user_id, form_token) is not None


def submit_once(user_id: int, form_token: str | None, document: dict[str, Any]) -> Submitted:
    """Submit `document` (kind transfer or delete) at most once for this user and form token."""
    token = _check_token(form_token)
    client = _client(user_id)
    row = _saved_submission(user_id, token, document, client)
    if row.task_id:
        return Submitted(task_id=row.task_id, kind=row.kind, reused=True)
    return _send(row, client)


def _client(user_id: int) -> Any:
    # A page reuses its request's client; the worker waits longer and retries more (for_worker).
    if has_request_context():
        return user_clients.request_transfer_client(user_id)
    return user_clients.transfer_client(user_id, for_worker=True)


def _send(row: TransferSubmission, client: Any) -> Submitted:
    # Always send what was saved first, so a repeat can never change what the task does.
    payload = dict(row.document, submission_id=row.submission_id)
    row.attempts = (row.attempts or 0) + 1
    db.session.commit()
    try:
        if row.kind == "delete":
            result = upstream.submit_delete(client, payload)
        else:
            result = upstream.submit_transfer(client, payload)
    except Exception as err:
        db.session.rollback()
        row.last_error = type(err).__name__
        db.session.commit()
        raise
    task_id = str(result["task_id"])
    reused = row.attempts > 1 or result.get("code") == "Duplicate"
    _record(row, task_id)
    return Submitted(task_id=task_id, kind=row.kind, reused=reused)


def unfinished_submissions(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Saved submissions that never got their task recorded, worth sending again (ids, oldest first).

    A process killed (or a request cut off) between saving a submission id and recording the
    task leaves such a row: it was sent, or was about to be. Resending it with the same submission
    id is safe: Transfer answers a repeat with the task it already made. Rows younger than
    RESUME_AFTER may still be in flight; rows Transfer refused for good are left alone.
    """
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(TransferSubmission.id)
            .where(
                TransferSubmission.task_id.is_(None),
                TransferSubmission.created_at <= now - RESUME_AFTER,
                TransferSubmission.created_at >= now - RESUME_WITHIN,
                TransferSubmission.attempts < RESUME_MAX_ATTEMPTS,
                or_(TransferSubmission.last_error.is_(None), TransferSubmission.last_error.in_(RESUMABLE_ERRORS)),
            )
            .order_by(TransferSubmission.id)
            .limit(limit)
        )
    )


def resume_submission(submission_id: int) -> Submitted | None:
    """Send one unfinished submission again under its saved submission id; None if it needs nothing."""
    row = db.session.get(TransferSubmission, submission_id)
    if row is None or row.task_id:
        return None
    return _send(row, _client(row.user_id))


def _record(row: TransferSubmission, task_id: str) -> None:
    row.task_id = task_id
    row.submitted_at = utcnow()
    row.last_error = None
    document = row.document
    tracked = TrackedTask(
        user_id=row.user_id,
        task_id=task_id,
        kind=row.kind,
        label=document.get("label"),
        source_collection_id=document.get("source") or document.get("collection"),
        destination_collection_id=document.get("destination"),
        submission=row,
        resubmitted_from=document.get("resubmitted_from"),
    )
    first_check = task_watch.start_watching(tracked)
    db.session.add(tracked)
    try:
        db.session.commit()
    except IntegrityError:
        # The racing request recorded the same task a moment earlier; nothing is lost.
        db.session.rollback()
        return
    # The worker follows the task from here (and tells the user when it ends).
    from app.worker.jobs.task_watch import poll_user_tasks

    enqueue_after_commit(poll_user_tasks, row.user_id, delay=first_check)


def tracked_submission(user_id: int, task_id: str) -> TransferSubmission | None:
    """The saved submission of a task this user submitted through the portal, if any."""
    return db.session.scalar(
        select(TransferSubmission).where(TransferSubmission.user_id == user_id, TransferSubmission.task_id == task_id)
    )


@dataclass(frozen=True)
class TrackedPlan:
    """What a portal-submitted task was asked to do: its kind and saved request document."""

    kind: str
    document: dict[str, Any]


# Built once: constructing a select costs more than running it.
_TRACKED_PLAN = select(TransferSubmission.kind, TransferSubmission.document).where(
    TransferSubmission.user_id == bindparam("user_id"), TransferSubmission.task_id == bindparam("task_id")
)


def tracked_plan(user_id: int, task_id: str) -> TrackedPlan | None:
    """The kind and document of a task this user submitted through the portal (one plain select, no ORM row)."""
    row = db.session.connection().execute(_TRACKED_PLAN, {"user_id": user_id, "task_id": task_id}).first()
    return TrackedPlan(row.kind, row.document) if row is not None else None
