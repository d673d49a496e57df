"""Template helpers: the logged-in flag, feature links and date formatting."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, g

from app.features import available_features


def format_datetime(value: datetime | None) -> str:
    """A timestamp as "2026-11-23 08:54 UTC" (naive values are UTC)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def init_templating(app: Flask) -> None:
    """Register globals and filters used by the base layout and pages."""
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_global(available_features, "nav_features")
    app.context_processor(lambda: {"logged_in": g.get("current_user_id") is not None})
