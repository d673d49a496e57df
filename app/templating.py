"""Template helpers in one place: the filters every page shares, the logged-in flag, feature links."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, g

from app.features import available_features
from app.security.session_policy import signed_in_name
from app.services.units import filesize, rate


def when(value: datetime | None) -> str:
    """A UTC time as '2026-11-23 08:55 UTC' ('' when unknown)."""
    if value is None:
        return ""
    moment = value.astimezone(UTC) if value.tzinfo else value
    # Hand-formatted: strftime is several times slower, and a listing page formats 1,000 dates.
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d} UTC"


def iso(value: datetime | None) -> str:
    """A machine-readable timestamp for <time datetime=...>."""
    if value is None:
        return ""
    return value.isoformat()


def format_datetime(value: datetime | None) -> str:
    """A timestamp as "2026-11-23 08:54 UTC" (naive values are UTC), "—" when unknown."""
    if value is None:
        return "—"
    return when(value)


def init_templating(app: Flask) -> None:
    """Register globals and filters used by the base layout and pages."""
    app.add_template_filter(filesize, "filesize")
    app.add_template_filter(rate, "rate")
    app.add_template_filter(when, "when")
    app.add_template_filter(iso, "iso")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_global(available_features, "nav_features")
    app.add_template_global(signed_in_name, "signed_in_name")
    app.context_processor(lambda: {"logged_in": g.get("current_user_id") is not None})
