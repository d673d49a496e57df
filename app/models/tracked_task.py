"""Transfer submissions (saved before the upstream call) and the tasks they became, per user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.timestamps import utcnow


class TransferSubmission(Model):
    """One press of a Submit button: its form token, Transfer submission id and request document.

    The row is committed before Transfer is called. A repeat of the same form (double click,
    refresh, retry after a timeout, replay after consent) finds this row by its form token and
    reuses its submission id, which Transfer answers with the same task: at most one task.
    """

    __tablename__ = "transfer_submissions"
    __table_args__ = (UniqueConstraint("user_id", "form_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    form_token: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # transfer | delete
    # The plain request document (collections, items, options); never any token.
    document: Mapped[dict] = mapped_column(JSON)
    task_id: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)


class TrackedTask(Model):
    """A Transfer task the portal submitted for a user, so pages and later jobs can follow it."""

    __tablename__ = "tracked_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # transfer | delete
    label: Mapped[str | None] = mapped_column(String(128))
    source_collection_id: Mapped[str | None] = mapped_column(String(64))
    destination_collection_id: Mapped[str | None] = mapped_column(String(64))
    submission_id: Mapped[int] = mapped_column(ForeignKey("transfer_submissions.id", ondelete="CASCADE"), unique=True)
    # The task this one re-ran, when it came from "Resubmit".
    resubmitted_from: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Task watching (app/services/task_watch.py). When the worker next asks Transfer about this
    # task; None once it ended. While a poll is in flight it holds that poll's lease instead, so
    # a second consumer never polls the same task at the same time.
    next_check_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # The poll holding the lease (a random token), None between polls.
    poll_claim: Mapped[str | None] = mapped_column(String(32))
    # Polls in a row that got no answer for this task; the back-off doubles with each.
    poll_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Events already told to the user, so a repeated poll never notifies twice.
    pause_notified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    faults_notified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    submission: Mapped[TransferSubmission] = relationship()
