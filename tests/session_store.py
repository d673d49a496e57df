"""Tests' window on a browser's stored server-side session, in whichever backend the app uses.

The portal runs on SQL sessions by default and on Redis in CI's second pass; tests that inspect or
plant stored sessions go through here so they check the real store in both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models.server_session import ServerSession
from tests.users import planted_client


def _is_redis(app) -> bool:
    return app.config["SESSION_BACKEND"] == "redis"


def _key(app, sid: str) -> str:
    # The store is keyed by a keyed hash of the cookie's id (app/server_sessions.py).
    return app.session_interface._get_store_id(sid)


def read_stored(app, sid: str) -> tuple[bytes, float]:
    """The stored session's serialized data and its expiry (a Unix time) for a cookie value."""
    key = _key(app, sid)
    if _is_redis(app):
        client = app.session_interface.client
        data, ttl_ms = client.get(key), client.pttl(key)
        assert data is not None, f"no stored session {key!r}"
        return bytes(data), time.time() + ttl_ms / 1000
    with app.app_context():
        row = db.session.execute(
            select(ServerSession.data, ServerSession.expiry).where(ServerSession.session_id == key)
        ).one()
        db.session.remove()
    return bytes(row.data), row.expiry.timestamp()


def update_stored(app, sid: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Decode the stored session, let `change` edit it, and write it back with its expiry kept."""
    serializer = app.session_interface.serializer
    key = _key(app, sid)
    if _is_redis(app):
        client = app.session_interface.client
        data = dict(serializer.decode(client.get(key)))
        change(data)
        client.set(key, serializer.encode(data), keepttl=True)
        return
    with app.app_context():
        row = db.session.scalar(select(ServerSession).where(ServerSession.session_id == key))
        data = dict(serializer.decode(row.data))
        change(data)
        row.data = serializer.encode(data)
        db.session.commit()
        db.session.remove()


def plant_session(app, data: dict[str, Any]) -> str:
    """Store a new session holding `data` (as an earlier visit would have) and return its cookie value."""
    return planted_client(app, data).get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def shift_stored_expiry(app, sid: str, seconds: float) -> None:
    """Move the stored session's expiry by `seconds` without touching its data.

    A test that marks the expiry this way sees at once whether a later request rewrote the session
    (a rewrite sets it to now + the idle lifetime again), with no waiting for the clock to move.
    """
    key = _key(app, sid)
    if _is_redis(app):
        client = app.session_interface.client
        client.pexpire(key, client.pttl(key) + int(seconds * 1000))
        return
    with app.app_context():
        row = db.session.scalar(select(ServerSession).where(ServerSession.session_id == key))
        assert row is not None and row.expiry is not None, f"no stored session {key!r}"
        row.expiry = row.expiry + timedelta(seconds=seconds)
        db.session.commit()
        db.session.remove()
