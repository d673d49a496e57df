"""HTTP Basic credentials read defensively, for the control API and OAuth client authentication."""

from __future__ import annotations

from flask import request


def basic_credentials() -> tuple[str, str] | None:
    """(username, password) of the request's HTTP Basic header; None when there is no usable one."""
    try:
        auth = request.authorization
    except ValueError:
        # Werkzeug answers None for Basic credentials it cannot decode, but raises ValueError when
        # the header itself holds non-ASCII characters; both mean "no usable credentials" (a 401).
        return None
    if auth is None or auth.type != "basic":
        return None
    return auth.username or "", auth.password or ""


def sent_basic() -> bool:
    """True when the Authorization header names the Basic scheme, decodable or not."""
    scheme, _, _ = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "basic"
