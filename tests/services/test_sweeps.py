"""The hourly sweep: expired sessions and queued revocations that can no longer matter go; the rest stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import PendingRevocation, ServerSession
from app.models.timestamps import utcnow
from app.services.token_records import ACCESS, REFRESH
from app.worker.context import bind_app
from app.worker.jobs.maintenance import sweep_stale_rows
from tests.users import portal_user


def test_the_sweep_removes_only_what_nobody_can_come_back_for(portal_app):
    user_id = portal_user(portal_app, "dave")
    now = utcnow()
    with portal_app.app_context():
        db.session.add_all(
            [
                ServerSession(session_id="expired", data=b"", expiry=now - timedelta(minutes=1), user_id=user_id),
                ServerSession(session_id="alive", data=b"", expiry=now + timedelta(minutes=30), user_id=user_id),
            ]
        )

        def queued(name: str, kind: str, age: timedelta, **extra) -> PendingRevocation:
            return PendingRevocation(
                user_id=user_id,
                resource_server=name,
                token_kind=kind,
                token_enc="v1:test:ciphertext",
                created_at=now - age,
                **extra,
            )

        db.session.add_all(
            [
                queued("access-expired", ACCESS, timedelta(days=3)),
                queued("access-live", ACCESS, timedelta(hours=1)),
                queued("refresh-ancient", REFRESH, timedelta(days=201)),
                queued("refresh-recent", REFRESH, timedelta(days=10)),
                queued("lost-key", REFRESH, timedelta(days=1), attempts=3, last_error="cannot decrypt: unknown key"),
                queued("auth-was-down", REFRESH, timedelta(days=1), attempts=7, last_error="RemoteUnavailable: down"),
            ]
        )
        db.session.commit()

    bind_app(portal_app)
    sweep_stale_rows.call_local()

    with portal_app.app_context():
        assert list(db.session.scalars(select(ServerSession.session_id))) == ["alive"]
        left = set(db.session.scalars(select(PendingRevocation.resource_server)))
    assert left == {"access-live", "refresh-recent", "auth-was-down"}
