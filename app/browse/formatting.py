"""Readable sizes, rates and times for the researcher pages (registered as template filters)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint

UNITS = ("bytes", "KB", "MB", "GB", "TB", "PB")


def filesize(value: int | None) -> str:
    """1234567 → '1.2 MB' (decimal units, as Globus shows them)."""
    if value is None:
        return ""
    size = float(value)
    if size < 1000:
        return "1 byte" if value == 1 else f"{int(size)} bytes"
    for unit in UNITS[1:]:
        size /= 1000
        if size < 1000 or unit == UNITS[-1]:
            return f"{size:.1f} {unit}" if size < 100 else f"{size:.0f} {unit}"
    return f"{size:.0f} {UNITS[-1]}"


def rate(value: int | None) -> str:
    """Bytes per second in words: '3.4 MB/s'."""
    if not value:
        return "0 bytes/s"
    return f"{filesize(value)}/s"


def when(value: datetime | None) -> str:
    """A UTC time as '2026-11-23 08:55 UTC' ('' when unknown)."""
    if value is None:
        return ""
    moment = value.astimezone(timezone.utc) if value.tzinfo else value
    # Hand-formatted: strftime is several times slower, and a listing page formats 1,000 dates.
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d} UTC"


def iso(value: datetime | None) -> str:
    """A machine-readable timestamp for <time datetime=...>."""
    if value is None:
        return ""
    return value.isoformat()


def register_filters(bp: Blueprint) -> None:
    """Make the filters available to every template once the blueprint is registered."""
    bp.add_app_template_filter(filesize, "filesize")
    bp.add_app_template_filter(rate, "rate")
    bp.add_app_template_filter(when, "when")
    bp.add_app_template_filter(iso, "iso")
