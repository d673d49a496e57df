"""Automations for their owner: list, new/edit with a preview, detail with history, run now, pause,
resume, delete, retry from a step, and resuming the ones paused while the user's login was dead.

Every function takes the signed-in user's id first and only ever touches that user's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models.automation import Automation, AutomationRun, AutomationStep
from app.models.timestamps import utcnow
from app.services import automation_chain, automation_runs, schedules
from app.services.automation_forms import (
    AutomationSpec,
    FormData,
    Preview,
    parse_form,
    preview,
    preview_of,
    schedule_fields,
    typed_values,
)
from app.services.automation_steps import STEP_TYPES
from app.services.errors import DomainError, refusable
from app.services.paging import parse_offset

RUNS_PAGE = 20


class AutomationNotFound(DomainError):
    """No automation (or run, or step) with that id belongs to this user."""

    status_code = 404
    code = "not_found"


@dataclass(frozen=True)
class AutomationRow:
    """One automation in the list."""

    id: int
    name: str
    route: str
    schedule: str
    status: str
    paused_reason: str | None
    next_run: str | None
    last_status: str | None


@dataclass(frozen=True)
class AutomationList:
    """The list page: the user's automations and the count paused for a dead login."""

    rows: list[AutomationRow]
    paused_for_tokens: int
    tokens_dead: bool


@dataclass(frozen=True)
class FormPage:
    """The new/edit form: the values to show, the preview, and a refusal beside its field."""

    values: dict[str, str]
    days: list[str]
    preview: Preview
    automation_id: int | None = None
    error: DomainError | None = None


@dataclass(frozen=True)
class SaveOutcome:
    """A saved automation (its id), or the form to show again."""

    automation_id: int | None = None
    form: FormPage | None = None


@dataclass(frozen=True)
class StepView:
    """One step of a run, as the history shows it."""

    id: int
    label: str
    status: str
    attempts: int
    task_id: str | None
    error: str | None
    result: dict[str, Any]
    retryable: bool


@dataclass(frozen=True)
class RunView:
    """One run in the history."""

    id: int
    trigger: str
    scheduled_for: datetime
    local_time: str
    status: str
    skip_reason: str | None
    error: str | None
    task_id: str | None
    bytes_transferred: int | None
    files_transferred: int | None
    files_skipped: int | None
    steps: list[StepView]


@dataclass(frozen=True)
class AutomationDetail:
    """The detail page: the automation, its next runs, one page of its history."""

    automation: Automation
    schedule: str
    upcoming: Preview
    runs: list[RunView]
    offset: int
    total: int
    follow_ups: list[str] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        """True when older runs follow this page."""
        return self.offset + len(self.runs) < self.total


# Ids are database integers: a larger number in a URL is simply no such row (found by tests/fuzz).
MAX_ID = 2**31 - 1


def _owned(user_id: int, automation_id: int) -> Automation:
    automation = db.session.get(Automation, automation_id) if 0 < automation_id <= MAX_ID else None
    if automation is None or automation.user_id != user_id:
        raise AutomationNotFound("There is no such automation.")
    return automation


def _local(moment: datetime | None, zone: str) -> str | None:
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(schedules.Schedule("cron", "", zone).zone).strftime("%a %Y-%m-%d %H:%M %Z")


def list_page(user_id: int) -> AutomationList:
    """The user's automations, newest first, with their last run's status."""
    automations = db.session.scalars(
        select(Automation).where(Automation.user_id == user_id).order_by(Automation.id.desc())
    ).all()
    last = dict(
        db.session.execute(
            select(AutomationRun.automation_id, AutomationRun.status).where(
                AutomationRun.id.in_(
                    select(func.max(AutomationRun.id))
                    .where(AutomationRun.user_id == user_id)
                    .group_by(AutomationRun.automation_id)
                )
            )
        ).all()
    )
    rows = [
        AutomationRow(
            id=a.id,
            name=a.name,
            route=f"{a.source_path} → {a.destination_path}",
            schedule=automation_runs.schedule_of(a).describe(),
            status=a.status,
            paused_reason=a.paused_reason,
            next_run=_local(a.next_run_at, a.timezone) if a.status == "active" else None,
            last_status=last.get(a.id),
        )
        for a in automations
    ]
    paused = sum(1 for a in automations if a.paused_for_tokens and a.status == "paused")
    from app.services.token_health import tokens_dead

    return AutomationList(rows=rows, paused_for_tokens=paused, tokens_dead=tokens_dead(user_id) is not None)


NEW_DEFAULTS = {
    "preset": "daily",
    "at": "03:30",
    "every": "15",
    "day_of_month": "1",
    "sync_level": "checksum",
    "verify_checksum": "on",
    "label": "{name} {date}",
    "source_path": "/~/",
    "destination_path": "/~/",
}


def new_form(values: FormData | None = None) -> FormPage:
    """A fresh form (optionally prefilled from the query string: source, paths, zone)."""
    typed = dict(NEW_DEFAULTS)
    for key, value in typed_values(values or {}).items():
        if value:
            typed[key] = value
    return FormPage(values=typed, days=["1"], preview=preview(typed) if typed.get("timezone") else Preview())


def edit_form(user_id: int, automation_id: int) -> FormPage:
    """The form filled with a saved automation."""
    a = _owned(user_id, automation_id)
    values: dict[str, str] = {
        "name": a.name,
        "source": a.source_collection_id,
        "source_path": a.source_path,
        "destination": a.destination_collection_id,
        "destination_path": a.destination_path,
        "label": a.label_template,
        "preset": a.schedule_preset,
        "timezone": a.timezone,
        "starts_on": a.starts_on.isoformat() if a.starts_on else "",
        "ends_on": a.ends_on.isoformat() if a.ends_on else "",
        "max_runs": str(a.max_runs or ""),
    }
    values.update({k: str(v) for k, v in a.schedule_fields.items() if k != "days"})
    options = a.transfer_options
    values["sync_level"] = options.get("sync_level") or ""
    values["deadline"] = str(options.get("deadline_hours") or "")
    values["exclude_rules"] = "\n".join(
        f"{r['type']}:{r['name']}" if r.get("type") else r["name"] for r in options.get("exclude_rules") or []
    )
    for name, value in options.items():
        if isinstance(value, bool) and value:
            values[name] = "on"
    for step in a.follow_ups:
        values[step["type"]] = "on"
        if step["type"] == "backup":
            values["backup_collection"], values["backup_path"] = step["collection"], step["path"]
        if step["type"] == "delete_source":
            values["delete_confirm"] = step.get("confirmed", "")
    days = [str(d) for d in a.schedule_fields.get("days") or []] or ["1"]
    return FormPage(values=values, days=days, preview=preview_of(automation_runs.schedule_of(a)), automation_id=a.id)


def preview_json(form: FormData, weekly_days: list[str]) -> dict[str, Any]:
    """The next five runs of the schedule fields as typed (the form's script asks for this)."""
    return preview(form, weekly_days=weekly_days).as_json()


def _apply(automation: Automation, spec: AutomationSpec) -> None:
    automation.name = spec.name
    automation.source_collection_id = spec.source
    automation.source_path = spec.source_path
    automation.destination_collection_id = spec.destination
    automation.destination_path = spec.destination_path
    automation.transfer_options = spec.options_document()
    automation.label_template = spec.label_template
    automation.follow_ups = spec.follow_ups
    schedule = spec.schedule
    automation.schedule_preset = schedule.preset
    automation.schedule_fields = schedule_fields(schedule)
    automation.cron = schedule.cron
    automation.timezone = schedule.timezone
    automation.starts_on = schedule.starts_on
    automation.ends_on = schedule.ends_on
    automation.max_runs = schedule.max_runs


def save(
    user_id: int,
    form: FormData,
    weekly_days: list[str],
    *,
    automation_id: int | None = None,
    preview_only: bool = False,
) -> SaveOutcome:
    """Create or update an automation from its form; Preview (or a refusal) shows the form again."""
    existing = _owned(user_id, automation_id) if automation_id is not None else None
    values = typed_values(form)
    with refusable() as refusal:
        spec = parse_form(form, weekly_days=weekly_days)
    if refusal.error is not None or preview_only:
        page = FormPage(
            values=values,
            days=weekly_days or ["1"],
            preview=preview(form, weekly_days=weekly_days),
            automation_id=automation_id,
            error=refusal.error,
        )
        return SaveOutcome(form=page)
    automation = existing or Automation(user_id=user_id, kind="sync", status="active", runs_count=0, claim_version=0)
    _apply(automation, spec)
    if existing is None:
        db.session.add(automation)
    if automation.status in ("active", "finished"):
        automation.status = "active"
        automation.next_run_at = automation_runs.next_due(automation, utcnow())
        automation.status = "active" if automation.next_run_at else "finished"
    db.session.flush()
    return SaveOutcome(automation_id=automation.id)


def _run_view(run: AutomationRun, zone: str) -> RunView:
    failed_at = next((s.position for s in run.steps if s.status == "failed"), None)
    steps = [
        StepView(
            id=s.id,
            label=STEP_TYPES[s.step_type].label if s.step_type in STEP_TYPES else s.step_type,
            status=s.status,
            attempts=s.attempts,
            task_id=s.task_id,
            error=s.error,
            result=s.result or {},
            retryable=run.status == "failed" and s.position == failed_at,
        )
        for s in run.steps
    ]
    return RunView(
        id=run.id,
        trigger=run.trigger,
        scheduled_for=run.scheduled_for,
        local_time=_local(run.scheduled_for, zone) or "",
        status=run.status,
        skip_reason=run.skip_reason,
        error=run.error,
        task_id=run.task_id,
        bytes_transferred=run.bytes_transferred,
        files_transferred=run.files_transferred,
        files_skipped=run.files_skipped,
        steps=steps,
    )


def detail(user_id: int, automation_id: int, raw_offset: str | None = None) -> AutomationDetail:
    """The automation, its next five runs and one page of its history (newest first)."""
    automation = _owned(user_id, automation_id)
    offset = parse_offset(raw_offset)
    total = db.session.scalar(select(func.count()).where(AutomationRun.automation_id == automation.id)) or 0
    runs = db.session.scalars(
        select(AutomationRun)
        .where(AutomationRun.automation_id == automation.id)
        .order_by(AutomationRun.id.desc())
        .offset(offset)
        .limit(RUNS_PAGE)
    ).all()
    schedule = automation_runs.schedule_of(automation)
    upcoming = preview_of(schedule, runs_done=automation.runs_count) if automation.status == "active" else Preview()
    follow_ups = [STEP_TYPES[step["type"]].label for step in automation.follow_ups if step["type"] in STEP_TYPES]
    return AutomationDetail(
        automation=automation,
        schedule=schedule.describe(),
        upcoming=upcoming,
        runs=[_run_view(run, automation.timezone) for run in runs],
        offset=offset,
        total=total,
        follow_ups=follow_ups,
    )


@dataclass(frozen=True)
class RunStarted:
    """What Run now did: a run was queued, or skipped (with the reason)."""

    run_id: int
    skipped: str | None


def run_now(user_id: int, automation_id: int) -> RunStarted:
    """Start a run outside the schedule (queued after this request commits)."""
    automation = _owned(user_id, automation_id)
    run = automation_runs.start_now(automation)
    if run.status != "skipped":
        automation_chain.enqueue_advance(run.id)
    return RunStarted(run_id=run.id, skipped=run.skip_reason)


def pause(user_id: int, automation_id: int) -> None:
    """Stop scheduling runs (a run in progress finishes its steps)."""
    automation = _owned(user_id, automation_id)
    automation.status = "paused"
    automation.paused_reason = "Paused by you"
    automation.paused_for_tokens = False
    db.session.flush()


def _resume(automation: Automation) -> None:
    automation.status = "active"
    automation.paused_reason = None
    automation.paused_for_tokens = False
    # Runs missed while paused are not made up: the next one is after now.
    automation.next_run_at = automation_runs.next_due(automation, utcnow())
    if automation.next_run_at is None:
        automation.status = "finished"


def resume(user_id: int, automation_id: int) -> None:
    """Schedule runs again from now on."""
    from app.services.token_health import tokens_dead

    automation = _owned(user_id, automation_id)
    if tokens_dead(user_id):
        raise AutomationNotResumable("Sign in again first: Globus no longer accepts the gateway's stored login.")
    _resume(automation)
    db.session.flush()


class AutomationNotResumable(DomainError):
    """The automation cannot run until the user signs in again."""

    status_code = 409
    code = "sign_in_again"


def resume_paused_for_tokens(user_id: int) -> int:
    """Resume every automation paused because the user's login had stopped working."""
    from app.services.token_health import tokens_dead

    if tokens_dead(user_id):
        raise AutomationNotResumable("Sign in again first: Globus no longer accepts the gateway's stored login.")
    paused = db.session.scalars(
        select(Automation).where(Automation.user_id == user_id, Automation.paused_for_tokens.is_(True))
    ).all()
    for automation in paused:
        _resume(automation)
    db.session.flush()
    return len(paused)


@dataclass(frozen=True)
class Banner:
    """The token-health banner: automations paused for a dead login, and whether it is still dead."""

    waiting: int
    tokens_dead: bool


def banner(user_id: int) -> Banner:
    """How many of the user's automations wait for them to sign in again (shown on every page)."""
    waiting = (
        db.session.scalar(
            select(func.count()).where(
                Automation.user_id == user_id, Automation.paused_for_tokens.is_(True), Automation.status == "paused"
            )
        )
        or 0
    )
    if not waiting:
        return Banner(0, False)
    from app.services.token_health import tokens_dead

    return Banner(waiting, tokens_dead(user_id) is not None)


def delete(user_id: int, automation_id: int) -> str:
    """Delete an automation and its history (tasks already made stay in Transfer); returns its name."""
    automation = _owned(user_id, automation_id)
    name = automation.name
    db.session.delete(automation)
    db.session.flush()
    return name


def retry(user_id: int, automation_id: int, run_id: int, step_id: int) -> None:
    """Run a failed run again from its failed step (queued after this request commits)."""
    automation = _owned(user_id, automation_id)
    run = db.session.get(AutomationRun, run_id) if 0 < run_id <= MAX_ID else None
    step = db.session.get(AutomationStep, step_id) if 0 < step_id <= MAX_ID else None
    if run is None or run.automation_id != automation.id or step is None or step.run_id != run.id:
        raise AutomationNotFound("There is no such run or step.")
    if run.status != "failed" or step.status != "failed":
        raise AutomationNotResumable("Only a failed step of a failed run can be retried.")
    automation_chain.retry_from(run, step)
    automation_chain.enqueue_advance(run.id)
