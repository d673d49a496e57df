"""Upstream token revocation that never blocks local clean-up.

Tokens to revoke are first queued (encrypted, app/services/token_records/pending.py) in the same
transaction that deletes or replaces them; each successful revocation then forgets its entry.
Whatever fails stays queued for the next login/logout or `gateway tokens retry-revocations`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.services import token_records, user_clients
from app.services.errors import DomainError, RemoteUnavailable
from app.services.globus import auth_flow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevocationReport:
    """How many tokens were revoked upstream and how many are still pending."""

    revoked: int
    pending: int


def discard_user_tokens(user_id: int, *, for_worker: bool = False) -> RevocationReport:
    """Queue every stored token of a user for revocation, delete the rows, then revoke."""
    token_records.queue_all_and_delete(user_id)
    return retry_pending_revocations(user_id=user_id, for_worker=for_worker)


def retry_pending_revocations(
    *, user_id: int | None = None, limit: int = 500, for_worker: bool = False
) -> RevocationReport:
    """Try to revoke queued tokens (one user's, or everyone's); returns what is still pending."""
    revoked = 0
    for pending in token_records.pending_tokens(user_id=user_id, limit=limit):
        if pending.token is None:
            token_records.note_failure(pending.id, pending.problem or "cannot decrypt")
            continue
        try:
            auth_flow.revoke_token(user_clients.settings(), pending.token, for_worker=for_worker)
        except RemoteUnavailable as exc:
            # Auth is down or hanging: waiting out the timeout once per token would stall a
            # logout for minutes, so the rest stay pending for the next attempt.
            token_records.note_failure(pending.id, f"RemoteUnavailable: {exc.message}")
            break
        except DomainError as exc:
            token_records.note_failure(pending.id, f"{type(exc).__name__}: {exc.message}")
            continue
        token_records.forget(pending.id)
        revoked += 1
    remaining = token_records.count_pending(user_id=user_id)
    if remaining:
        log.warning("%d token revocation(s) still pending", remaining)
    return RevocationReport(revoked=revoked, pending=remaining)
