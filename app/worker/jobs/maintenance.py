"""Housekeeping: revocations Globus Auth still owes us, expired sessions, abandoned queue rows."""

from __future__ import annotations

from huey import crontab

from app.services import revocations, sweeps
from app.worker.queue import job, periodic_job


@job(retries=3, retry_delay=30, retry_backoff=2)
def revoke_pending_tokens(user_id: int) -> None:
    """Revoke what one user's login replaced (and what an earlier logout could not revoke)."""
    revocations.retry_pending_revocations(user_id=user_id, limit=20, for_worker=True)


@periodic_job(crontab(minute="*/10"))
def retry_revocations() -> None:
    """Every ten minutes: retry every queued revocation (also `gateway tokens retry-revocations`)."""
    revocations.retry_pending_revocations(limit=500, for_worker=True)


@periodic_job(crontab(minute="17"))
def sweep_stale_rows() -> None:
    """Hourly: delete expired sessions and queued revocations that can no longer matter."""
    sweeps.sweep()
