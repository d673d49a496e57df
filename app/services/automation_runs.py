"""Starting automation runs exactly once: the due-run claim, run creation (or a recorded skip), the sweep.

The claim is one SQL statement, so any number of consumers and even two schedulers started by
mistake start each due run once:

    UPDATE automations SET claim_version = claim_version + 1
     WHERE id IN (SELECT id FROM automations WHERE status = 'active' AND next_run_at <= :now
                  ORDER BY next_run_at LIMIT :n FOR UPDATE SKIP LOCKED)
       AND status = 'active' AND next_run_at <= :now
    RETURNING id, next_run_at, claim_version

On PostgreSQL the subquery's row locks make a second claimer skip the rows the first holds, and
re-checks the condition on rows it commits meanwhile. SQLite has no row locks (SQLAlchemy renders
no FOR UPDATE there): the UPDATE, the first statement of its transaction, takes the database's
write lock, so a second claimer waits and then finds next_run_at already moved on. Within the same
transaction each claimed automation gets its run row (unique per automation and due time — the
database refuses a second) and its next due time, guarded by the claim_version the claim returned.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.database import rows_affected
from app.extensions import db
from app.models.automation import Automation, AutomationRun, AutomationStep
from app.models.timestamps import utcnow
from app.services import automation_forms, schedules

log = logging.getLogger(__name__)
CLAIM_BATCH = 500
ACTIVE_RUN_STATUSES = ("pending", "running")
# A run whose step has not moved for this long (its job was lost: kill -9, a consumer restart)
# is picked up again by the sweep; its step then resumes with the submission id it saved.
STALL_AFTER = timedelta(minutes=2)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def schedule_of(automation: Automation) -> automation_forms.Schedule:
    """The Schedule saved on an automation."""
    return automation_forms.schedule_of(
        automation.schedule_fields,
        automation.schedule_preset,
        automation.timezone,
        starts_on=automation.starts_on,
        ends_on=automation.ends_on,
        max_runs=automation.max_runs,
    )


def next_due(automation: Automation, after: datetime, *, runs_done: int | None = None) -> datetime | None:
    """The automation's next due time after `after` (naive UTC), or None when its schedule has ended."""
    aware = after.replace(tzinfo=UTC) if after.tzinfo is None else after
    done = automation.runs_count if runs_done is None else runs_done
    run = schedules.next_run(schedule_of(automation), aware, runs_done=done)
    return _naive(run) if run else None


def claim_due(now: datetime | None = None, *, limit: int = CLAIM_BATCH) -> list[int]:
    """Claim the automations due at `now`, create their runs (or skips), move their next due time;
    returns the ids of the runs to start. Commits (the claim is its own transaction)."""
    moment = _naive(now or utcnow())
    # The claim must be the first statement of its transaction (SQLite's write lock, see above).
    db.session.commit()
    due = (
        select(Automation.id)
        .where(Automation.status == "active", Automation.next_run_at <= moment)
        .order_by(Automation.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.execute(
        update(Automation)
        .where(
            Automation.id.in_(due.scalar_subquery()), Automation.status == "active", Automation.next_run_at <= moment
        )
        .values(claim_version=Automation.claim_version + 1)
        .returning(Automation.id, Automation.next_run_at, Automation.claim_version)
        .execution_options(synchronize_session=False)
    ).all()
    busy = _busy([row[0] for row in claimed])
    runs: list[AutomationRun] = []
    claimed_rows = {
        row.id: row
        for row in db.session.scalars(
            select(Automation)
            .where(Automation.id.in_([row[0] for row in claimed]))
            .execution_options(populate_existing=True)
        )
    }
    with db.session.no_autoflush:
        for automation_id, due_at, version in claimed:
            automation = claimed_rows.get(automation_id)
            if automation is None or automation.claim_version != version or due_at is None:
                continue
            run = _new_run(automation, "schedule", due_at, f"due:{due_at.isoformat()}", busy=busy.get(automation_id))
            _advance_schedule(automation, version, due_at, moment, counted=run.status != "skipped")
            runs.append(run)
    db.session.flush()  # one flush for the whole batch: the run ids
    started = [run.id for run in runs if run.status != "skipped"]
    db.session.commit()
    if claimed:
        log.info("claimed %d due automation(s); %d run(s) to start", len(claimed), len(started))
    return started


def _busy(automation_ids: list[int]) -> dict[int, AutomationRun]:
    """The run still in progress of each of these automations (one query for a claimed batch)."""
    if not automation_ids:
        return {}
    rows = db.session.scalars(
        select(AutomationRun)
        .where(AutomationRun.automation_id.in_(automation_ids), AutomationRun.status.in_(ACTIVE_RUN_STATUSES))
        .order_by(AutomationRun.id)
    )
    return {run.automation_id: run for run in rows}


def _advance_schedule(automation: Automation, version: int, due_at: datetime, now: datetime, *, counted: bool) -> None:
    runs = automation.runs_count + (1 if counted else 0)
    # After downtime the missed runs are not made up one by one: the next one is after now.
    upcoming = next_due(automation, max(due_at, now), runs_done=runs)
    values = {"next_run_at": upcoming, "runs_count": runs, "status": "active" if upcoming else "finished"}
    changed = db.session.execute(
        update(Automation)
        .where(Automation.id == automation.id, Automation.claim_version == version)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rows_affected(changed) != 1:
        raise RuntimeError(f"automation {automation.id} changed under its claim")
    for name, value in values.items():
        set_committed_value(automation, name, value)


def _new_run(
    automation: Automation, trigger: str, scheduled_for: datetime, claim_key: str, *, busy: AutomationRun | None
) -> AutomationRun:
    run = AutomationRun(
        automation_id=automation.id,
        user_id=automation.user_id,
        claim_key=claim_key,
        trigger=trigger,
        scheduled_for=scheduled_for,
        status="pending",
    )
    db.session.add(run)
    if busy is not None:
        # Two syncs of one folder at once would copy the same files twice and race each other.
        run.status = "skipped"
        run.skip_reason = f"The previous run (#{busy.id}) was still in progress"
        if busy.task_id:
            run.skip_reason += f"; its task {busy.task_id} was still active"
        run.finished_at = utcnow()
        return run
    for position, config in enumerate(steps_for(automation)):
        run.steps.append(AutomationStep(position=position, step_type=config["type"], config=config, status="pending"))
    return run


def steps_for(automation: Automation) -> list[dict]:
    """The step list of a new run: the sync's transfer, then the configured follow-ups in order."""
    return [{"type": "transfer"}, *(dict(step) for step in automation.follow_ups or [])]


def start_now(automation: Automation) -> AutomationRun:
    """A Run now: a run outside the schedule (or a skip, when one is still in progress)."""
    run = _new_run(
        automation, "manual", utcnow(), f"now:{secrets.token_hex(8)}", busy=_busy([automation.id]).get(automation.id)
    )
    db.session.flush()
    return run


def stalled_runs(now: datetime | None = None, *, limit: int = 200) -> list[int]:
    """Runs in progress whose steps have not moved for STALL_AFTER (their job was lost)."""
    cutoff = _naive(now or utcnow()) - STALL_AFTER
    waiting_on_us = (AutomationStep.status == "pending") | (
        (AutomationStep.status == "running") & AutomationStep.task_id.is_(None)
    )
    # A step waiting for a task is moved by the task watcher; only look again at long-quiet ones.
    quiet_task = (AutomationStep.status == "running") & (AutomationStep.updated_at < cutoff - STALL_AFTER * 4)
    rows = db.session.scalars(
        select(AutomationRun.id)
        .join(AutomationStep, AutomationStep.run_id == AutomationRun.id)
        .where(
            AutomationRun.status.in_(ACTIVE_RUN_STATUSES),
            AutomationStep.updated_at < cutoff,
            waiting_on_us | quiet_task,
        )
        .distinct()
        .limit(limit)
    )
    return list(rows)
