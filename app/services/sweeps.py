"""Clearing out what nobody will come back for: expired sessions, revocations that can no longer matter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_

from app.database import rows_affected
from app.extensions import db
from app.models.server_session import ServerSession
from app.models.timestamps import utcnow
from app.models.token import PendingRevocation
from app.services.token_records import ACCESS, REFRESH

log = logging.getLogger(__name__)

# Globus access tokens live 48 hours: revoking one older than that is moot.
ACCESS_TOKEN_LIFETIME = timedelta(hours=48)
# An unused refresh token stops working after months; after this long nothing could still use it.
REFRESH_TOKEN_GIVE_UP = timedelta(days=200)
# A queued token that has not decrypted this many times never will (its key is gone).
UNDECRYPTABLE_ATTEMPTS = 3


@dataclass(frozen=True)
class SweepReport:
    """How many rows each sweep removed."""

    sessions: int
    revocations: int


def sweep_expired_sessions(*, now: datetime | None = None) -> int:
    """Delete server-side sessions past their expiry (the SQL store; Redis expires its own keys)."""
    result = db.session.execute(delete(ServerSession).where(ServerSession.expiry < (now or utcnow())))
    return rows_affected(result)


def sweep_abandoned_revocations(*, now: datetime | None = None) -> int:
    """Drop queued revocations that can no longer protect anything (dead tokens, lost keys)."""
    now = now or utcnow()
    result = db.session.execute(
        delete(PendingRevocation).where(
            or_(
                and_(
                    PendingRevocation.token_kind == ACCESS, PendingRevocation.created_at < now - ACCESS_TOKEN_LIFETIME
                ),
                and_(
                    PendingRevocation.token_kind == REFRESH,
                    PendingRevocation.created_at < now - REFRESH_TOKEN_GIVE_UP,
                ),
                and_(
                    PendingRevocation.attempts >= UNDECRYPTABLE_ATTEMPTS,
                    PendingRevocation.last_error.like("cannot decrypt%"),
                ),
            )
        )
    )
    removed = rows_affected(result)
    if removed:
        log.info("dropped %d queued revocation(s) that could no longer matter", removed)
    return removed


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Run both sweeps."""
    return SweepReport(sessions=sweep_expired_sessions(now=now), revocations=sweep_abandoned_revocations(now=now))
