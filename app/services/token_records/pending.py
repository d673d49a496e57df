"""The revocation queue: tokens to revoke upstream, kept encrypted until Globus Auth confirms.

Tokens are queued in the same transaction that deletes or replaces them, so none is ever held by
nobody; each successful revocation forgets its row, each failure is noted for the next attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session as OrmSession

from app.extensions import db
from app.models.timestamps import utcnow
from app.models.token import PendingRevocation, StoredToken
from app.security.keyring_config import current_keyring
from app.security.token_cipher import TokenDecryptionError
from app.services.token_records.bindings import (
    ACCESS,
    REFRESH,
    pending_binding,
    token_binding,
)

MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class PendingToken:
    """A queued token, decrypted (None with `problem` when it no longer decrypts)."""

    id: int
    user_id: int
    resource_server: str
    token_kind: str
    token: str | None
    problem: str | None = None

    def __repr__(self) -> str:  # keep tokens out of tracebacks and debug output
        return f"PendingToken(id={self.id}, user_id={self.user_id}, {self.resource_server!r}, {self.token_kind})"


def queue_revocation(orm: OrmSession, user_id: int, resource_server: str, token_kind: str, token: str) -> None:
    """Add a token to the queue (encrypted) in the caller's transaction."""
    # A plain INSERT, not an ORM object: a login queues up to six of these between the selects of
    # its token rows, and each ORM object would be flushed on its own (insert + RETURNING).
    orm.execute(
        insert(PendingRevocation).values(
            user_id=user_id,
            resource_server=resource_server,
            token_kind=token_kind,
            token_enc=current_keyring().encrypt(token, binding=pending_binding(user_id, resource_server, token_kind)),
        )
    )


def queue_all_and_delete(user_id: int) -> None:
    """Move every stored token of a user into the queue and delete the rows, in one transaction.

    Rows that do not decrypt are deleted too: nothing can revoke them, and they must not linger.
    """
    keyring = current_keyring()
    with OrmSession(db.engine) as orm, orm.begin():
        for row in orm.scalars(select(StoredToken).where(StoredToken.user_id == user_id)):
            for kind, ciphertext in ((REFRESH, row.refresh_token_enc), (ACCESS, row.access_token_enc)):
                if not ciphertext:
                    continue
                try:
                    token = keyring.decrypt(ciphertext, binding=token_binding(user_id, row.resource_server, kind))
                except TokenDecryptionError:
                    continue
                queue_revocation(orm, user_id, row.resource_server, kind, token)
        orm.execute(delete(StoredToken).where(StoredToken.user_id == user_id))


def pending_tokens(*, user_id: int | None = None, limit: int = 500) -> list[PendingToken]:
    """The oldest queued tokens (one user's, or everyone's), decrypted."""
    keyring = current_keyring()
    query = select(PendingRevocation).order_by(PendingRevocation.id).limit(limit)
    if user_id is not None:
        query = query.where(PendingRevocation.user_id == user_id)
    with OrmSession(db.engine) as orm:
        rows = orm.scalars(query).all()
    pending = []
    for row in rows:
        token, problem = None, None
        try:
            token = keyring.decrypt(
                row.token_enc, binding=pending_binding(row.user_id, row.resource_server, row.token_kind)
            )
        except TokenDecryptionError as exc:
            problem = f"cannot decrypt: {exc}"
        pending.append(PendingToken(row.id, row.user_id, row.resource_server, row.token_kind, token, problem))
    return pending


def forget(pending_id: int) -> None:
    """Drop a queued token once Globus Auth has revoked it."""
    with OrmSession(db.engine) as orm, orm.begin():
        orm.execute(delete(PendingRevocation).where(PendingRevocation.id == pending_id))


def note_failure(pending_id: int, error: str) -> None:
    """Count a failed attempt and keep its reason for the operator."""
    with OrmSession(db.engine) as orm, orm.begin():
        orm.execute(
            update(PendingRevocation)
            .where(PendingRevocation.id == pending_id)
            .values(
                attempts=PendingRevocation.attempts + 1, last_error=error[:MAX_ERROR_LENGTH], last_attempt_at=utcnow()
            )
        )


def count_pending(*, user_id: int | None = None) -> int:
    """How many tokens are still queued (one user's, or everyone's)."""
    query = select(func.count()).select_from(PendingRevocation)
    if user_id is not None:
        query = query.where(PendingRevocation.user_id == user_id)
    with OrmSession(db.engine) as orm:
        return int(orm.scalar(query) or 0)
