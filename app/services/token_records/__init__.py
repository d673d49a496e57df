"""The one owner of the encrypted token tables: live tokens, the revocation queue, key rotation.

Nothing else in the portal reads or writes `stored_tokens` or `pending_revocations`, or knows how
a ciphertext is bound to its row (bindings.py). The parts:

- rows.py: a user's tokens per resource server — read, write (optimistic versions), delete;
- pending.py: tokens waiting for upstream revocation, queued in the transaction that drops them;
- refresh_lock.py: one refresh at a time per user and resource server;
- rotation.py: re-encryption of every value under the primary key (`gateway keys rotate`).
"""

from __future__ import annotations

from app.services.token_records.bindings import (
    ACCESS,
    REFRESH,
    pending_binding,
    token_binding,
)
from app.services.token_records.pending import (
    PendingToken,
    count_pending,
    forget,
    note_failure,
    pending_tokens,
    queue_all_and_delete,
    queue_revocation,
)
from app.services.token_records.refresh_lock import single_refresh
from app.services.token_records.rotation import (
    RotationReport,
    key_ids_in_use,
    rotate_to_primary_key,
)
from app.services.token_records.rows import (
    TokenRecord,
    TokenSummary,
    TokenWrite,
    TokenWriteConflict,
    delete_tokens,
    read_token,
    read_tokens,
    requested_scopes,
    save_token,
    save_tokens,
    summarize_tokens,
)

__all__ = [
    "ACCESS",
    "REFRESH",
    "PendingToken",
    "RotationReport",
    "TokenRecord",
    "TokenSummary",
    "TokenWrite",
    "TokenWriteConflict",
    "count_pending",
    "delete_tokens",
    "forget",
    "key_ids_in_use",
    "note_failure",
    "pending_binding",
    "pending_tokens",
    "queue_all_and_delete",
    "queue_revocation",
    "read_token",
    "read_tokens",
    "requested_scopes",
    "rotate_to_primary_key",
    "save_token",
    "save_tokens",
    "single_refresh",
    "summarize_tokens",
    "token_binding",
]
