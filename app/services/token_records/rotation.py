"""Re-encrypt every stored secret under the primary token encryption key (`gateway keys rotate`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession

from app.database import rows_affected
from app.extensions import db
from app.models.token import PendingRevocation, StoredToken
from app.security.keyring_config import current_keyring
from app.security.token_cipher import TokenDecryptionError, key_id_of
from app.services.token_records.bindings import (
    ACCESS,
    REFRESH,
    pending_binding,
    token_binding,
)

BATCH_SIZE = 200


@dataclass(frozen=True)
class RotationReport:
    """Rows re-encrypted, rows already under the primary key, and the key ids still in use."""

    reencrypted: int
    already_current: int
    key_ids_in_use: list[str]
    # "stored_tokens:12" style references to rows that did not decrypt with any configured key.
    failed: list[str]


def rotate_to_primary_key() -> RotationReport:
    """Re-encrypt every token and pending revocation not yet under the primary key."""
    keyring = current_keyring()
    reencrypted = current = 0
    failed: list[str] = []
    with OrmSession(db.engine) as orm:
        for row in _batched(orm, StoredToken):
            values = {}
            try:
                if not keyring.is_current(row.access_token_enc):
                    values["access_token_enc"] = keyring.reencrypt(
                        row.access_token_enc, binding=token_binding(row.user_id, row.resource_server, ACCESS)
                    )
                if row.refresh_token_enc and not keyring.is_current(row.refresh_token_enc):
                    values["refresh_token_enc"] = keyring.reencrypt(
                        row.refresh_token_enc, binding=token_binding(row.user_id, row.resource_server, REFRESH)
                    )
            except TokenDecryptionError:
                failed.append(f"stored_tokens:{row.id}")
                continue
            if not values:
                current += 1
                continue
            # Versioned like every token write, so a concurrent refresh is not overwritten.
            result = orm.execute(
                update(StoredToken)
                .where(StoredToken.id == row.id, StoredToken.version == row.version)
                .values(version=row.version + 1, **values)
            )
            orm.commit()
            if rows_affected(result) == 1:
                reencrypted += 1
        for row in _batched(orm, PendingRevocation):
            if keyring.is_current(row.token_enc):
                current += 1
                continue
            try:
                row.token_enc = keyring.reencrypt(
                    row.token_enc, binding=pending_binding(row.user_id, row.resource_server, row.token_kind)
                )
            except TokenDecryptionError:
                failed.append(f"pending_revocations:{row.id}")
                continue
            orm.commit()
            reencrypted += 1
        in_use = sorted(key_ids_in_use(orm))
    return RotationReport(reencrypted=reencrypted, already_current=current, key_ids_in_use=in_use, failed=failed)


def key_ids_in_use(orm: OrmSession) -> set[str]:
    """Every key id that some stored value is still encrypted under."""
    kids: set[str] = set()
    for access, refresh in orm.execute(select(StoredToken.access_token_enc, StoredToken.refresh_token_enc)):
        kids.add(key_id_of(access))
        if refresh:
            kids.add(key_id_of(refresh))
    for (value,) in orm.execute(select(PendingRevocation.token_enc)):
        kids.add(key_id_of(value))
    return kids


def _batched(orm: OrmSession, model):
    last_id = 0
    while True:
        rows = orm.scalars(select(model).where(model.id > last_id).order_by(model.id).limit(BATCH_SIZE)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
