"""Moving a run through its steps: start the next one, wait for its task, stop and notify on failure.

`advance(run_id)` is idempotent and safe to call from several jobs at once: a pending step is
taken with a conditional UPDATE (pending → running, attempts + 1, a new form token), committed
before anything is submitted; a running step without a task id is one whose submit was
interrupted (a crash, kill -9, an upstream fault): it is submitted again under the same form
token, so Transfer answers with the task it already made. A running step with a task waits for
the task watcher (`task_ended`), or looks at its task once when advance is called again.
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import select, update

from app.database import rows_affected
from app.extensions import db
from app.models.automation import Automation, AutomationRun, AutomationStep
from app.models.timestamps import utcnow
from app.services import submissions, user_clients
from app.services.automation_steps import StepRefused, step_type
from app.services.errors import DomainError, ReauthenticationRequired, RemoteUnavailable
from app.services.globus import transfer as upstream

log = logging.getLogger(__name__)
TERMINAL = ("SUCCEEDED", "FAILED")
# Upstream faults (5xx, 429, a collection offline) after the SDK's own retries: the step stays
# running with its saved form token and is tried again, with back-off, up to this many attempts.
MAX_ATTEMPTS = 6
RETRY_DELAYS = (30, 60, 120, 300, 600)


def _enqueue(run_id: int, delay: int | None = None) -> None:
    from app.worker.jobs.automations import advance_run_job
    from app.worker.queue import enqueue_after_commit

    enqueue_after_commit(advance_run_job, run_id, delay=delay)


def enqueue_advance(run_id: int) -> None:
    """Queue advance(run_id) once the current unit of work commits."""
    _enqueue(run_id)


def advance(run_id: int) -> str:
    """Take the run as far as it can go now; returns its status afterwards."""
    run = db.session.get(AutomationRun, run_id)
    if run is None or run.status in ("succeeded", "failed", "skipped"):
        return run.status if run else "missing"
    automation = run.automation
    if run.status == "pending":
        run.status = "running"
        db.session.commit()
    for step in run.steps:
        if step.status == "succeeded":
            continue
        if step.status == "failed":
            return _fail_run(run, automation, step)
        if step.status == "pending" and not _take(step):
            return run.status  # another job took it a moment ago
        if step.task_id:
            if not _check_task(step, run):
                return run.status  # still waiting for its task
        else:
            if not _perform(step, run, automation):
                return run.status
        if step.status == "failed":
            return _fail_run(run, automation, step)
    run.status = "succeeded"
    run.finished_at = utcnow()
    db.session.flush()
    return run.status


def _take(step: AutomationStep) -> bool:
    taken = db.session.execute(
        update(AutomationStep)
        .where(AutomationStep.id == step.id, AutomationStep.status == "pending")
        .values(
            status="running",
            attempts=AutomationStep.attempts + 1,
            form_token=secrets.token_urlsafe(24),
            started_at=utcnow(),
            updated_at=utcnow(),
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    # Durable before any submit: a retry after a crash finds this form token and reuses it.
    db.session.commit()
    db.session.refresh(step)
    return rows_affected(taken) == 1


def _perform(step: AutomationStep, run: AutomationRun, automation: Automation) -> bool:
    """Do the step's work (submit its task, or run it); False when it must wait or retry later."""
    kind = step_type(step.step_type)
    try:
        if kind.document is not None:
            document = kind.document(step, run, automation)
            submitted = submissions.submit_once(run.user_id, step.form_token, document)
            saved = submissions.tracked_submission(run.user_id, submitted.task_id)
            step.submission_id = saved.submission_id if saved else None
            step.task_id = submitted.task_id
            if step.step_type == "transfer":
                run.task_id = submitted.task_id
            step.updated_at = utcnow()
            db.session.commit()
            return False  # wait for the task's end
        assert kind.perform is not None
        step.result = kind.perform(step, run, automation)
        _succeed(step)
        return True
    except RemoteUnavailable as err:
        return _retry_later(step, run, err)
    except ReauthenticationRequired as err:
        _pause_for_tokens(automation, err.message)
        _failed(step, "Globus no longer accepts the gateway's stored login for you; sign in again, then retry.")
        return True
    except (StepRefused, DomainError) as err:
        _failed(step, err.message)
        return True


def _retry_later(step: AutomationStep, run: AutomationRun, err: RemoteUnavailable) -> bool:
    db.session.rollback()
    step = db.session.get(AutomationStep, step.id) or step
    if step.attempts >= MAX_ATTEMPTS:
        _failed(step, f"{err.message} (gave up after {step.attempts} attempts)")
        return True
    step.error = err.message
    step.updated_at = utcnow()
    # The next attempt counts as one: the form token (and submission id) stay the same.
    step.attempts += 1
    delay = RETRY_DELAYS[min(step.attempts - 2, len(RETRY_DELAYS) - 1)]
    log.warning("automation run %s step %s: %s; retrying in %ss", run.id, step.position, err.message, delay)
    db.session.commit()
    _enqueue(run.id, delay=delay)
    return False


def _check_task(step: AutomationStep, run: AutomationRun) -> bool:
    """Look at the step's task once; True when it has ended (and the step was finished)."""
    client = user_clients.transfer_client(run.user_id, for_worker=True)
    try:
        task = upstream.get_task(client, step.task_id or "")
    except RemoteUnavailable:
        return False
    if task.get("status") not in TERMINAL:
        return False
    finish_step(step, run, task)
    return True


def finish_step(step: AutomationStep, run: AutomationRun, task: dict) -> None:
    """Record a task step's finished task: its results, succeeded or failed."""
    kind = step_type(step.step_type)
    if kind.finished is not None:
        kind.finished(step, run, task)
    if task.get("status") == "SUCCEEDED":
        _succeed(step)
    else:
        fatal = task.get("fatal_error") or {}
        reason = fatal.get("description") or fatal.get("code") or "the task failed"
        _failed(step, f"Task {step.task_id} failed: {reason}")


def _succeed(step: AutomationStep) -> None:
    step.status = "succeeded"
    step.error = None
    step.finished_at = step.updated_at = utcnow()
    db.session.flush()


def _failed(step: AutomationStep, message: str) -> None:
    step.status = "failed"
    step.error = message[:2000]
    step.finished_at = step.updated_at = utcnow()
    db.session.flush()


def _fail_run(run: AutomationRun, automation: Automation, step: AutomationStep) -> str:
    if run.status == "failed":
        return run.status
    run.status = "failed"
    run.error = step.error
    run.finished_at = utcnow()
    db.session.flush()
    from app.services.notifications import notify

    label = step_type(step.step_type).label
    notify(
        run.user_id,
        "automation_failed",
        f"Automation '{automation.name}' failed at: {label}",
        f"{step.error or 'The step failed.'} Later steps were not started; you can retry from this step "
        "on the automation's page.",
        link=f"/automations/{automation.id}",
    )
    return run.status


def _pause_for_tokens(automation: Automation, reason: str) -> None:
    if automation.status == "active":
        automation.status = "paused"
        automation.paused_for_tokens = True
        automation.paused_reason = f"Paused: {reason}"[:255]
        db.session.flush()


def task_ended(user_id: int, task_id: str, status: str) -> None:
    """Task-watch listener: a task this user submitted reached SUCCEEDED or FAILED."""
    step = db.session.scalar(
        select(AutomationStep)
        .join(AutomationRun, AutomationRun.id == AutomationStep.run_id)
        .where(AutomationStep.task_id == task_id, AutomationRun.user_id == user_id, AutomationStep.status == "running")
    )
    if step is None:
        return
    run = step.run
    client = user_clients.transfer_client(user_id, for_worker=True)
    try:
        task = upstream.get_task(client, task_id)
    except DomainError:
        task = {"status": status}  # the counts stay unknown; the outcome does not
    task.setdefault("status", status)
    finish_step(step, run, task)
    _enqueue(run.id)


def retry_from(run: AutomationRun, step: AutomationStep) -> None:
    """Put a failed run back to its failed step: that step and the later ones run again."""
    for later in run.steps:
        if later.position >= step.position:
            later.status = "pending"
            later.task_id = None
            later.form_token = None  # a new attempt is a new submission: the failed task stays failed
            later.submission_id = None
            later.error = None
            later.result = None
            later.finished_at = None
            later.updated_at = utcnow()
    run.status = "running"
    run.error = None
    run.finished_at = None
    db.session.flush()


def pause_for_dead_tokens(user_id: int, reason: str) -> int:
    """Token-health listener: pause the user's active automations with the reason; returns how many."""
    rows = db.session.scalars(select(Automation).where(Automation.user_id == user_id, Automation.status == "active"))
    count = 0
    for automation in rows:
        _pause_for_tokens(automation, reason)
        count += 1
    return count


def _pause_on_dead_tokens(user_id: int, reason: str) -> None:
    count = pause_for_dead_tokens(user_id, reason)
    if count:
        log.info("paused %d automation(s) of user %s: their login stopped working", count, user_id)


def _register_listeners() -> None:
    # Imported by the pages and the worker alike, so both processes react the same way.
    from app.services.task_watch import register_task_end_listener
    from app.services.token_health import register_tokens_dead_listener

    register_task_end_listener(task_ended)
    register_tokens_dead_listener(_pause_on_dead_tokens)


_register_listeners()
