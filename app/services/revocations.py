"""Upstream token revocation that never blocks local clean-up.

Tokens to revoke are first written (encrypted) to `pending_revocations` in the same transaction
that deletes them from `stored_tokens`; each successful revocation then deletes its pending row.
Whatever fails stays pending for the next login/logout or `gateway tokens retry-revocations`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from app.extensions import db
from app.models.timestamps import utcnow
from app.models.token import PendingRevocation, StoredToken
from app.security.keyring_config import current_keyring
from app.security.token_cipher import TokenDecryptionError
from app.services import token_records
from app.services.errors import DomainError, RemoteUnavailable
from app.services.globus import auth_flow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevocationReport:
    """How many tokens were revoked upstream and how many are still pending."""

    revoked: int
    pending: int


def discard_user_tokens(user_id: int, *, for_worker: bool = False) -> RevocationReport:
    """Move every stored token of a user to pending revocation, delete the rows, then revoke."""
    records = token_records.read_tokens(user_id, skip_undecryptable=True)
    with OrmSession(db.engine) as orm, orm.begin():
        for record in records.values():
            for kind, token in ((token_records.REFRESH, record.refresh_token), (token_records.ACCESS, record.access_token)):
                if token:
                    token_records.queue_revocation(orm, user_id, record.resource_server, kind, token)
        # Rows that did not decrypt are deleted too: they are useless, and must not linger.
        orm.execute(delete(StoredToken).where(StoredToken.user_id == user_id))
    return retry_pending_revocations(user_id=user_id, for_worker=for_worker)


def retry_pending_revocations(
    *, user_id: int | None = None, limit: int = 500, for_worker: bool = False
) -> RevocationReport:
    """Try to revoke pending tokens (one user's, or everyone's); returns what is still pending."""
    keyring = current_keyring()
    query = select(PendingRevocation).order_by(PendingRevocation.id).limit(limit)
    if user_id is not None:
        query = query.where(PendingRevocation.user_id == user_id)
    with OrmSession(db.engine) as orm:
        pending = orm.scalars(query).all()
        revoked = 0
        for row in pending:
            try:
                token = keyring.decrypt(
                    row.token_enc, binding=token_records.pending_binding(row.user_id, row.resource_server, row.token_kind)
                )
            except TokenDecryptionError as exc:
                _record_failure(orm, row, f"cannot decrypt: {exc}")
                continue
            try:
                auth_flow.revoke_token(token, for_worker=for_worker)
            except RemoteUnavailable as exc:
                # Auth is down or hanging: waiting out the timeout once per token would stall a
                # logout for minutes, so the rest stay pending for the next attempt.
                _record_failure(orm, row, f"RemoteUnavailable: {exc.message}")
                break
            except DomainError as exc:
                _record_failure(orm, row, f"{type(exc).__name__}: {exc.message}")
                continue
            orm.delete(row)
            orm.commit()
            revoked += 1
        remaining_query = select(PendingRevocation.id)
        if user_id is not None:
            remaining_query = remaining_query.where(PendingRevocation.user_id == user_id)
        remaining = len(orm.scalars(remaining_query).all())
    if remaining:
        log.warning("%d token revocation(s) still pending", remaining)
    return RevocationReport(revoked=revoked, pending=remaining)


def _record_failure(orm: OrmSession, row: PendingRevocation, error: str) -> None:
    row.attempts += 1
    row.last_error = error[:500]
    row.last_attempt_at = utcnow()
    orm.commit()
