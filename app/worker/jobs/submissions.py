"""Submitting transfers and deletions for a user from the worker, at most once, and finishing
submissions a killed process or a cut-off request left half done."""

from __future__ import annotations

import logging
from typing import Any

from huey import crontab

from app.services import submissions, token_health
from app.services.errors import DomainError, ReauthenticationRequired, RemoteUnavailable
from app.worker.queue import job, periodic_job

log = logging.getLogger(__name__)


@job(retries=5, retry_delay=15, retry_backoff=2)
def submit_for_user(user_id: int, form_token: str, document: dict[str, Any]) -> None:
    """Submit a transfer/delete document as the user; a retry (or a rerun after a crash) reuses its submission id.

    Globus unreachable: Huey retries after 15 s, 30 s, 1, 2, 4 min (the SDK's own retries of
    429/5xx come first). A refusal (permission, invalid request) is recorded on the row, not retried.
    """
    try:
        submissions.submit_once(user_id, form_token, document)
    except RemoteUnavailable:
        raise
    except ReauthenticationRequired as exc:
        if not exc.scopes:
            token_health.mark_tokens_dead(user_id, "Globus refused the stored login (expired or revoked)")
        log.warning("submission %s of user %s needs the user to sign in again", form_token, user_id)
    except DomainError as exc:
        log.warning("submission %s of user %s refused: %s", form_token, user_id, type(exc).__name__)


@periodic_job(crontab(minute="*"))
def resume_unfinished_submissions() -> None:
    """Every minute: send again, under their saved ids, submissions whose task was never recorded."""
    for submission_id in submissions.unfinished_submissions():
        try:
            submissions.resume_submission(submission_id)
        except DomainError as exc:
            # Recorded on the row (last_error, attempts); the next tick tries again if it may.
            log.warning("resuming submission %s failed: %s", submission_id, type(exc).__name__)
