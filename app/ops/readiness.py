"""Readiness: can this process serve real pages? The database, Redis sessions, Globus Auth.

Only local dependencies are asked directly (one trivial query, one PING). Globus Auth is
judged by the outcome of the calls the portal already made (auth_reachability), never called
per probe. Details name the failing piece and the exception class only: an exception's text can
carry a database URL with its password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from flask import Flask
from sqlalchemy import text

from app.extensions import db
from app.ops.auth_reachability import auth_reachability

# A probe must answer quickly even when Redis is a black hole; the session client has no timeout.
REDIS_TIMEOUT_SECONDS = 2.0
REDIS_CLIENT_KEY = "ops.readiness_redis"


@dataclass(frozen=True)
class Check:
    """One dependency's verdict."""

    name: str
    ok: bool
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Readiness:
    """Every check; ready when all passed."""

    checks: list[Check]

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict:
        """The JSON body of /readyz."""
        return {
            "status": "ready" if self.ready else "not_ready",
            "not_ready": [check.name for check in self.checks if not check.ok],
            "checks": {check.name: {"ok": check.ok, **check.detail} for check in self.checks},
        }


def check_readiness(app: Flask) -> Readiness:
    """Check the database, Redis (when sessions live there) and the last known state of Globus Auth."""
    checks = [_database()]
    if app.config["SESSION_BACKEND"] == "redis":
        checks.append(_redis(app))
    checks.append(_globus_auth(app))
    return Readiness(checks)


def _database() -> Check:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by class
        return Check("database", False, {"error": type(exc).__name__})
    return Check("database", True)


def _redis(app: Flask) -> Check:
    client = app.extensions.get(REDIS_CLIENT_KEY)
    if client is None:
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        app.extensions[REDIS_CLIENT_KEY] = client
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - as above
        return Check("redis", False, {"error": type(exc).__name__})
    return Check("redis", True)


def _globus_auth(app: Flask) -> Check:
    status = auth_reachability(app).status()
    return Check(
        "globus_auth",
        status.ready,
        {
            "last_success_at": _iso(status.last_success_at),
            "last_failure_at": _iso(status.last_failure_at),
        },
    )


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
