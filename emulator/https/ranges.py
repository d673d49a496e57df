"""HTTP byte ranges (RFC 9110) for the collection HTTPS server: one range per request.

A Range header the server does not understand, or one asking for several ranges, is ignored
(the whole file is sent with 200), as the RFC allows; a well-formed range that lies entirely
past the end of the file is unsatisfiable (416).
"""
from __future__ import annotations


class RangeNotSatisfiable(Exception):
    """The requested range starts at or past the end of the file."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions asked for, or None to send the whole file."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    first_text, last_text = first_text.strip(), last_text.strip()
    if not (first_text.isdigit() or first_text == "") or not (last_text.isdigit() or last_text == ""):
        return None
    if first_text == "":
        if last_text == "":
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable()
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last < first:
        return None
    if first >= size:
        raise RangeNotSatisfiable()
    return first, min(last, size - 1)
