"""Sizes and rates in words, for pages and the plain text the services compose."""

from __future__ import annotations

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
