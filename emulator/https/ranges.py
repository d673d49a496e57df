"""HTTP byte ranges (RFC 9110) for the collection HTTPS server: one range per request.

A Range header the server does not understand, or one asking for several ranges, is ignored
(the whole file is sent with 200), as the RFC allows; a well-formed range that lies entirely
past the end of the file is unsatisfiable (416).
"""

from __future__ import annotations

import re


class RangeNotSatisfiable(Exception):
    """The requested range starts at or past the end of the file."""


# RFC 9110's DIGIT is ASCII only: str.isdigit() also accepts "²", which int() then refuses.
_DIGITS = re.compile(r"[0-9]*")
# int() refuses more than 4300 digits; any position this long is past the end of every file anyway.
_MAX_DIGITS = 30


def _position(digits: str) -> int:
    """A byte position from ASCII digits, saturated at 10**_MAX_DIGITS."""
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= _MAX_DIGITS else 10**_MAX_DIGITS


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
    if not (_DIGITS.fullmatch(first_text) and _DIGITS.fullmatch(last_text)):
        return None
    if first_text == "":
        if last_text == "":
            return None
        suffix = _position(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable()
        return max(size - suffix, 0), size - 1
    first = _position(first_text)
    last = _position(last_text) if last_text else None
    if last is not None and last < first:
        return None
    # Checked before clamping an open end: "bytes=10-" of a 4-byte file is unsatisfiable, not ignored.
    if first >= size:
        raise RangeNotSatisfiable()
    return first, size - 1 if last is None else min(last, size - 1)
