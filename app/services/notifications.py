"""Telling users what happened while they were away: in-app always, by email as they choose.

`notify()` stores the message in the caller's unit of work; when the user wants that kind by
email (and has an address, and SMTP is configured) the email is sent by a job queued after the
commit, so a rolled-back event never mails anyone. The bell, the list and the preferences page
read from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.database import rows_affected
from app.extensions import db
from app.models import User
from app.models.notification import Notification, NotificationSettings
from app.models.timestamps import utcnow
from app.services import mail
from app.services.errors import DomainError, InvalidRequest
from app.services.paging import CountedOffsetPaging

log = logging.getLogger(__name__)

# Every kind, in the order the preferences form lists them, with the words it uses.
KINDS: dict[str, str] = {
    "task_succeeded": "A transfer succeeded",
    "task_failed": "A transfer failed or was cancelled",
    "task_paused": "A transfer paused or keeps hitting faults",
    "automation_failed": "An automation failed",
    "tokens_dead": "The gateway needs you to sign in again",
}
DEFAULT_EMAIL_KINDS = tuple(KINDS)
PAGE_SIZE = 25
# Longer than the email job's whole retry schedule (about half an hour).
STRANDED_AFTER = timedelta(hours=1)
MAX_TITLE = 200
MAX_ERROR = 500


class NotificationNotFound(DomainError):
    """No such notification for this user."""

    status_code = 404
    code = "not_found"


@dataclass(frozen=True)
class NotificationItem:
    """One notification as the list shows it."""

    id: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool
    email_status: str


@dataclass(frozen=True)
class NotificationPage(CountedOffsetPaging):
    """One page of a user's notifications, newest first."""

    items: list[NotificationItem]
    offset: int
    limit: int
    total: int
    unread: int


@dataclass(frozen=True)
class Preferences:
    """What a user chose: the kinds also emailed, and whether Globus' own emails stay on."""

    email_kinds: frozenset[str]
    globus_emails: bool
    email_address: str | None
    email_configured: bool


def notify(user_id: int, kind: str, title: str, body: str, link: str | None = None) -> int:
    """Store a notification for the user (and queue its email after commit); returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if link is not None and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("a notification links to a path inside the portal")
    row = Notification(user_id=user_id, kind=kind, title=title[:MAX_TITLE], body=body, link=link)
    if _wants_email(user_id, kind):
        row.email_status = "pending"
    db.session.add(row)
    db.session.flush()
    if row.email_status == "pending":
        from app.worker.jobs.notifications import send_notification_email
        from app.worker.queue import enqueue_after_commit

        enqueue_after_commit(send_notification_email, row.id)
    return row.id


def _wants_email(user_id: int, kind: str) -> bool:
    if not current_app.config.get("SMTP_URL"):
        return False
    user = db.session.get(User, user_id)
    if user is None or not user.email:
        return False
    return kind in preferences(user_id).email_kinds


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread (the bell's number)."""
    query = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return int(db.session.scalar(query) or 0)


def notification_page(user_id: int, *, offset: int = 0, limit: int = PAGE_SIZE) -> NotificationPage:
    """One page of the user's notifications, newest first."""
    total = int(db.session.scalar(select(func.count()).where(Notification.user_id == user_id)) or 0)
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    items = [
        NotificationItem(
            id=row.id,
            kind=row.kind,
            title=row.title,
            body=row.body,
            link=row.link,
            created_at=row.created_at,
            read=row.read_at is not None,
            email_status=row.email_status,
        )
        for row in rows
    ]
    return NotificationPage(items=items, offset=offset, limit=limit, total=total, unread=unread_count(user_id))


def mark_read(user_id: int, notification_id: int) -> str | None:
    """Mark one of the user's notifications read (another user's is not found); returns its link."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise NotificationNotFound("That notification does not exist (or is not yours).")
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()
    return row.link


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.flush()
    return rows_affected(result)


def preferences(user_id: int) -> Preferences:
    """The user's notification choices (every kind by email, Globus' emails off, until they change them)."""
    settings = db.session.get(NotificationSettings, user_id)
    user = db.session.get(User, user_id)
    kinds = frozenset(settings.email_kinds) & set(KINDS) if settings else frozenset(DEFAULT_EMAIL_KINDS)
    return Preferences(
        email_kinds=kinds,
        globus_emails=bool(settings and settings.globus_emails),
        email_address=user.email if user else None,
        email_configured=bool(current_app.config.get("SMTP_URL")),
    )


def save_preferences(user_id: int, *, email_kinds: list[str], globus_emails: bool) -> Preferences:
    """Store the user's choices; unknown kinds are refused."""
    unknown = sorted(set(email_kinds) - set(KINDS))
    if unknown:
        raise InvalidRequest(f"Unknown notification kind: {', '.join(unknown)}.", field="email_kinds")
    settings = db.session.get(NotificationSettings, user_id)
    if settings is None:
        settings = NotificationSettings(user_id=user_id, email_kinds=[])
        db.session.add(settings)
    settings.email_kinds = [kind for kind in KINDS if kind in email_kinds]
    settings.globus_emails = globus_emails
    db.session.flush()
    return preferences(user_id)


def globus_emails_enabled(user_id: int) -> bool:
    """True when the user wants Globus' own task emails as well as the gateway's notifications."""
    settings = db.session.get(NotificationSettings, user_id)
    return bool(settings and settings.globus_emails)


def send_email(notification_id: int) -> str:
    """Email one pending notification (the job's body); returns its email status afterwards.

    Raises mail.MailUnavailable when the SMTP server cannot be reached, so the job retries.
    """
    row = db.session.get(Notification, notification_id)
    if row is None or row.email_status != "pending":
        return row.email_status if row is not None else "gone"
    user = db.session.get(User, row.user_id)
    if user is None or not user.email:
        row.email_status = "none"
        return row.email_status
    row.email_attempts = (row.email_attempts or 0) + 1
    message = mail.Message(to=user.email, subject=row.title, body=_email_body(row))
    try:
        mail.send(current_app.config, message)
    except mail.MailRefused as exc:
        # The server answered and refused this message (a bad address): retrying will not help.
        row.email_status = "failed"
        row.email_error = str(exc)[:MAX_ERROR]
        log.warning("notification %s email refused: %s", row.id, exc)
        return row.email_status
    row.email_status = "sent"
    row.email_error = None
    return row.email_status


def stranded_emails(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Notifications still waiting for their email well after every retry would have run.

    Their job was lost (a worker killed while running it); sending them again makes emails
    at-least-once. Anything younger than STRANDED_AFTER may still be in its retries.
    """
    cutoff = (now or utcnow()) - STRANDED_AFTER
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.email_status == "pending", Notification.created_at < cutoff)
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def note_email_gave_up(notification_id: int, error: str) -> None:
    """Record that every attempt to email a notification failed (the in-app copy stays)."""
    row = db.session.get(Notification, notification_id)
    if row is not None and row.email_status == "pending":
        row.email_status = "failed"
        row.email_error = error[:MAX_ERROR]


def _email_body(row: Notification) -> str:
    base = current_app.config.get("GATEWAY_PUBLIC_URL")
    lines = [row.body, ""]
    if row.link and base:
        lines.append(f"Details: {base}{row.link}")
    if base:
        lines.append(f"Choose which emails you get: {base}/notifications/preferences")
    else:
        lines.append("Choose which emails you get on the portal's Notifications page, under Preferences.")
    return "\n".join(lines) + "\n"
