"""Automations (a recurring sync and its follow-up steps), their runs, and each run's steps.

A run's steps are a small persisted state machine: each step row has a type (transfer, backup,
delete_source, ingest; later issues add catalog and compute types), a status
(pending → running → succeeded | failed) and an attempt count. A step that submits a task gets
its form token — and with it, through transfer_submissions, a Transfer submission id — saved
and committed before the submit, so a step retried after a crash or a kill -9 reuses it and
Transfer answers with the task it already made.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.timestamps import utcnow


class Automation(Model):
    """A user's recurring sync: what to copy where, with which options, when, and what follows."""

    __tablename__ = "automations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="sync")
    source_collection_id: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(1024))
    destination_collection_id: Mapped[str] = mapped_column(String(64))
    destination_path: Mapped[str] = mapped_column(String(1024))
    # services/transfers.TransferOptions.document() without the label (the template makes it).
    transfer_options: Mapped[dict[str, Any]] = mapped_column(JSON)
    label_template: Mapped[str] = mapped_column(String(128), default="")
    # The follow-up steps as configured, in order: [{"type": "backup", "collection": ..., "path": ...}, ...]
    follow_ups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    # Schedule (services/schedules.Schedule): preset and its fields as typed, the compiled cron.
    schedule_preset: Mapped[str] = mapped_column(String(16))
    schedule_fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    cron: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    max_runs: Mapped[int | None] = mapped_column(Integer)

    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused | finished
    paused_reason: Mapped[str | None] = mapped_column(String(255))
    # Paused by the gateway because the user's tokens died (resumed after they sign in again).
    paused_for_tokens: Mapped[bool] = mapped_column(default=False)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    runs_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every claim: the claim statement's condition and its RETURNING value.
    claim_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    runs: Mapped[list[AutomationRun]] = relationship(
        back_populates="automation", cascade="all, delete-orphan", passive_deletes=True
    )


class AutomationRun(Model):
    """One run of an automation (scheduled, or Run now), or a skipped one with the reason."""

    __tablename__ = "automation_runs"
    # One run per automation and due time, whoever claims it: the database refuses a second.
    __table_args__ = (UniqueConstraint("automation_id", "claim_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    automation_id: Mapped[int] = mapped_column(ForeignKey("automations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    claim_key: Mapped[str] = mapped_column(String(64))  # "due:<iso time>" or "now:<random>"
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual
    scheduled_for: Mapped[datetime] = mapped_column(DateTime)
    # pending | running | succeeded | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    skip_reason: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(String(64))  # the sync's transfer task
    bytes_transferred: Mapped[int | None] = mapped_column(BigInteger)
    files_transferred: Mapped[int | None] = mapped_column(Integer)
    files_skipped: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    automation: Mapped[Automation] = relationship(back_populates="runs")
    steps: Mapped[list[AutomationStep]] = relationship(
        back_populates="run", order_by="AutomationStep.position", cascade="all, delete-orphan", passive_deletes=True
    )


class AutomationStep(Model):
    """One step of a run: its type, status, attempts, and the submission it made (if any)."""

    __tablename__ = "automation_steps"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("automation_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    step_type: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | running | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Keys the at-most-once submission (transfer_submissions.form_token); saved before the submit.
    form_token: Mapped[str | None] = mapped_column(String(64))
    submission_id: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[str | None] = mapped_column(String(64), index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    run: Mapped[AutomationRun] = relationship(back_populates="steps")
