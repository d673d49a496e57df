"""Automations: the minute's claim of due runs (and the sweep of stalled ones), and one run's advance."""

from __future__ import annotations

from huey import crontab

from app.services import automation_chain, automation_runs
from app.worker.queue import enqueue_after_commit, job, periodic_job


@job()
def advance_run_job(run_id: int) -> None:
    """Take one automation run as far as it can go now (submit its next step, or finish it)."""
    automation_chain.advance(run_id)


@periodic_job(crontab(minute="*"))
def claim_due_runs() -> None:
    """Every minute: claim the due automations (exactly once, in SQL), queue their runs, and queue
    again the runs whose job was lost (a killed consumer)."""
    for run_id in automation_runs.claim_due() + automation_runs.stalled_runs():
        enqueue_after_commit(advance_run_job, run_id)
