"""Encrypted token rows: read, write (optimistically locked), summarize and delete.

Every write goes through its own short transaction on the engine, so a token refreshed in the
middle of a request is stored even if that request later fails. Plaintext exists only in the
returned dataclasses, in memory.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session as OrmSession

from app.database import rows_affected
from app.extensions import db
from app.models.timestamps import utcnow
from app.models.token import StoredToken
from app.security.keyring_config import current_keyring
from app.security.token_cipher import TokenDecryptionError
from app.services.token_records.bindings import ACCESS, REFRESH, token_binding
from app.services.token_records.pending import queue_revocation

log = logging.getLogger(__name__)

WRITE_ATTEMPTS = 6


class TokenWriteConflict(RuntimeError):
    """Other writers kept changing the row; the write did not go through."""


@dataclass(frozen=True)
class TokenRecord:
    """Decrypted tokens for one resource server (in memory only; never render or log this)."""

    user_id: int
    resource_server: str
    scopes: str
    requested_scopes: str
    expires_at: int
    token_type: str
    access_token: str
    refresh_token: str | None
    version: int

    def __repr__(self) -> str:  # keep tokens out of tracebacks and debug output
        return f"TokenRecord(user_id={self.user_id}, resource_server={self.resource_server!r}, v{self.version})"


@dataclass(frozen=True)
class TokenSummary:
    """What the dashboard may show about a token: never the token itself."""

    resource_server: str
    scopes: list[str]
    expires_at: datetime
    expired: bool
    refreshable: bool
    updated_at: datetime


_TOKEN_COLUMNS = (
    StoredToken.user_id,
    StoredToken.resource_server,
    StoredToken.scopes,
    StoredToken.requested_scopes,
    StoredToken.expires_at,
    StoredToken.token_type,
    StoredToken.access_token_enc,
    StoredToken.refresh_token_enc,
    StoredToken.version,
)


# Built once: constructing a select costs more than running it (~0.3 ms against ~0.1 ms).
_READ_ONE = select(*_TOKEN_COLUMNS).where(
    StoredToken.user_id == bindparam("user_id"), StoredToken.resource_server == bindparam("resource_server")
)


def read_token(user_id: int, resource_server: str, *, fresh: bool = False) -> TokenRecord | None:
    """The decrypted tokens of one user for one resource server, or None.

    A plain select of the columns, on the request's own database connection when there is a
    request (no ORM objects, no second connection: a page reads its token in ~0.1 ms). `fresh`
    reads on a connection of its own instead, so that it sees what another process committed
    after this request's transaction began (SQLite's WAL gives each transaction a snapshot): the
    single-flight refresh needs that.
    """
    values = {"user_id": user_id, "resource_server": resource_server}
    if has_request_context() and not fresh:
        row = db.session.connection().execute(_READ_ONE, values).first()
    else:
        with db.engine.connect() as connection:
            row = connection.execute(_READ_ONE, values).first()
    return _decrypt(row) if row is not None else None


def read_tokens(user_id: int, *, skip_undecryptable: bool = False) -> dict[str, TokenRecord]:
    """All decrypted tokens of a user by resource server (optionally skipping broken rows)."""
    records: dict[str, TokenRecord] = {}
    with OrmSession(db.engine) as orm:
        for row in orm.scalars(select(StoredToken).where(StoredToken.user_id == user_id)):
            try:
                records[row.resource_server] = _decrypt(row)
            except TokenDecryptionError as exc:
                if not skip_undecryptable:
                    raise
                log.warning("token row %s of user %s does not decrypt: %s", row.id, user_id, exc)
    return records


def requested_scopes(user_id: int) -> list[str]:
    """The scope strings (with dependencies) requested for the user's current tokens."""
    with OrmSession(db.engine) as orm:
        values = orm.scalars(select(StoredToken.requested_scopes).where(StoredToken.user_id == user_id))
        return [value for value in values if value]


def summarize_tokens(user_id: int) -> list[TokenSummary]:
    """Scopes and expiry per resource server, for display."""
    now = int(time.time())
    with OrmSession(db.engine) as orm:
        rows = orm.scalars(
            select(StoredToken).where(StoredToken.user_id == user_id).order_by(StoredToken.resource_server)
        ).all()
        return [
            TokenSummary(
                resource_server=row.resource_server,
                scopes=row.scopes.split(),
                expires_at=datetime.fromtimestamp(row.expires_at, UTC),
                expired=row.expires_at <= now,
                refreshable=row.refresh_token_enc is not None,
                updated_at=row.updated_at,
            )
            for row in rows
        ]


@dataclass(frozen=True)
class TokenWrite:
    """One resource server's new tokens, as save_token/save_tokens take them (in memory only)."""

    resource_server: str
    scopes: str
    expires_at: int
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    token_type: str | None = "Bearer"
    requested_scopes: str | None = None


def save_token(
    user_id: int,
    resource_server: str,
    *,
    scopes: str,
    expires_at: int,
    access_token: str,
    refresh_token: str | None,
    token_type: str | None = "Bearer",
    requested_scopes: str | None = None,
    revoke_replaced: bool = False,
) -> int:
    """Insert or update a user's tokens for a resource server; returns the new row version.

    A missing refresh_token or requested_scopes keeps the stored one (refresh responses may omit
    them). The update only applies to the version it read; on a conflict it re-reads and retries,
    so concurrent refreshes by several processes never write over each other blindly.

    With `revoke_replaced` (a new login), the tokens this write replaces are queued for upstream
    revocation in the same transaction: otherwise an earlier login's grant would stay valid at
    Globus Auth after logout, held by nobody.
    """
    write = TokenWrite(resource_server, scopes, expires_at, access_token, refresh_token, token_type, requested_scopes)
    if revoke_replaced:
        return save_tokens(user_id, [write], revoke_replaced=True)[resource_server]
    keyring = current_keyring()
    for attempt in range(WRITE_ATTEMPTS):
        try:
            # One row and nothing else: an update that matched no row (its version moved) wrote
            # nothing, so the transaction simply ends and the next attempt re-reads.
            with OrmSession(db.engine) as orm, orm.begin():
                version = _write_row(orm, keyring, user_id, write, revoke_replaced=False)
            if version is not None:
                return version
        except (IntegrityError, OperationalError) as exc:
            # Another writer inserted the row first, or (SQLite) committed after our read.
            log.info("token write for user %s/%s retried: %s", user_id, resource_server, type(exc).__name__)
        time.sleep(0.01 * (attempt + 1))
    raise TokenWriteConflict(f"could not store tokens for {resource_server} after {WRITE_ATTEMPTS} attempts")


def save_tokens(user_id: int, writes: list[TokenWrite], *, revoke_replaced: bool = False) -> dict[str, int]:
    """Store several resource servers' tokens of one user in ONE transaction (a login's grant);
    returns the new row version per resource server.

    All or nothing: a login never leaves some of its tokens stored and others not. A version
    conflict on any row (a refresh racing the login) re-reads and retries the whole write.
    """
    keyring = current_keyring()
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with OrmSession(db.engine) as orm, orm.begin():
                versions: dict[str, int] = {}
                for write in writes:
                    version = _write_row(orm, keyring, user_id, write, revoke_replaced)
                    if version is None:
                        raise _VersionMoved
                    versions[write.resource_server] = version
                return versions
        except _VersionMoved:
            log.info("token write for user %s retried: another writer changed a row", user_id)
        except (IntegrityError, OperationalError) as exc:
            # Another writer inserted the row first, or (SQLite) committed after our read.
            log.info("token write for user %s retried: %s", user_id, type(exc).__name__)
        time.sleep(0.01 * (attempt + 1))
    names = ", ".join(write.resource_server for write in writes)
    raise TokenWriteConflict(f"could not store tokens for {names} after {WRITE_ATTEMPTS} attempts")


class _VersionMoved(Exception):
    """Rolls the transaction back: a row changed between our read and our write."""


def _write_row(orm: OrmSession, keyring: Any, user_id: int, write: TokenWrite, revoke_replaced: bool) -> int | None:
    """Insert or update one row inside `orm`'s transaction; None when its version moved meanwhile."""
    resource_server = write.resource_server
    row = orm.execute(
        select(
            StoredToken.id,
            StoredToken.version,
            StoredToken.refresh_token_enc,
            StoredToken.requested_scopes,
            StoredToken.access_token_enc,
        )
        .where(StoredToken.user_id == user_id, StoredToken.resource_server == resource_server)
        .with_for_update()
    ).first()
    if row is not None and revoke_replaced:
        _queue_replaced(orm, user_id, resource_server, row, {ACCESS: write.access_token, REFRESH: write.refresh_token})
    values: dict[str, Any] = {
        "scopes": write.scopes,
        "expires_at": int(write.expires_at),
        "token_type": write.token_type or "Bearer",
        "access_token_enc": keyring.encrypt(
            write.access_token, binding=token_binding(user_id, resource_server, ACCESS)
        ),
        "updated_at": utcnow(),
    }
    if write.refresh_token is not None:
        values["refresh_token_enc"] = keyring.encrypt(
            write.refresh_token, binding=token_binding(user_id, resource_server, REFRESH)
        )
    if write.requested_scopes is not None:
        values["requested_scopes"] = write.requested_scopes
    if row is None:
        values.setdefault("refresh_token_enc", None)
        values.setdefault("requested_scopes", "")
        orm.execute(insert(StoredToken).values(user_id=user_id, resource_server=resource_server, version=1, **values))
        return 1
    result = orm.execute(
        update(StoredToken)
        .where(StoredToken.id == row.id, StoredToken.version == row.version)
        .values(version=row.version + 1, **values)
    )
    return row.version + 1 if rows_affected(result) == 1 else None


def _queue_replaced(orm: OrmSession, user_id: int, resource_server: str, row, new: dict[str, str | None]) -> None:
    keyring = current_keyring()
    for kind, ciphertext in ((REFRESH, row.refresh_token_enc), (ACCESS, row.access_token_enc)):
        if not ciphertext:
            continue
        try:
            old = keyring.decrypt(ciphertext, binding=token_binding(user_id, resource_server, kind))
        except TokenDecryptionError as exc:
            # Nothing can revoke what does not decrypt; the write replaces it either way.
            log.warning("replaced %s of user %s/%s does not decrypt: %s", kind, user_id, resource_server, exc)
            continue
        if old != new[kind]:
            queue_revocation(orm, user_id, resource_server, kind, old)


def delete_tokens(user_id: int, resource_server: str | None = None) -> int:
    """Delete a user's token rows (all, or one resource server's); returns how many."""
    statement = delete(StoredToken).where(StoredToken.user_id == user_id)
    if resource_server is not None:
        statement = statement.where(StoredToken.resource_server == resource_server)
    with OrmSession(db.engine) as orm, orm.begin():
        return rows_affected(orm.execute(statement))


def _decrypt(row: Any) -> TokenRecord:
    """Decrypt one stored row (an ORM object or a plain select of its columns)."""
    keyring = current_keyring()
    access = keyring.decrypt(row.access_token_enc, binding=token_binding(row.user_id, row.resource_server, ACCESS))
    refresh = (
        keyring.decrypt(row.refresh_token_enc, binding=token_binding(row.user_id, row.resource_server, REFRESH))
        if row.refresh_token_enc
        else None
    )
    return TokenRecord(
        user_id=row.user_id,
        resource_server=row.resource_server,
        scopes=row.scopes,
        requested_scopes=row.requested_scopes or "",
        expires_at=row.expires_at,
        token_type=row.token_type,
        access_token=access,
        refresh_token=refresh,
        version=row.version,
    )
