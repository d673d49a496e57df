"""One clock for stored timestamps: naive UTC, which SQLite and PostgreSQL both store unchanged."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as naive UTC (the form every DateTime column holds)."""
    return datetime.now(UTC).replace(tzinfo=None)
