"""The pending logins of a browser, kept in a sealed cookie until the callback.

A login in progress (state, PKCE verifier, nonce, where to go next, the scopes asked for) used to
live in the server-side session, so every anonymous `GET /login` wrote a session row: a free way
to fill the database. It now travels in a cookie that only this portal can read or forge
(AES-GCM under a key derived from SECRET_KEY), lives for the flow's lifetime and is
deleted by the callback. Nothing is stored server-side before someone has really logged in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import zlib
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Request, Response, after_this_request, current_app

# Path=/ because /login must read it too (several tabs may log in at once).
COOKIE_PATH = "/"
# Browsers keep cookies up to 4096 bytes; the oldest flows give way before that.
MAX_COOKIE_BYTES = 3800
NONCE_BYTES = 12
PURPOSE = b"gateway pending-login cookie"


def cookie_name(app: Flask) -> str:
    """`__Host-` in production, like the session cookie (Secure, host-only, Path=/)."""
    return "__Host-gateway_login" if app.config["SESSION_COOKIE_SECURE"] else "gateway_login"


def read_flows(request: Request) -> dict[str, dict[str, Any]]:
    """The pending logins this browser carries; {} when absent, expired, forged or unreadable."""
    value = request.cookies.get(cookie_name(current_app))
    if not value:
        return {}
    try:
        sealed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        plain = AESGCM(_key()).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], PURPOSE)
        flows = json.loads(zlib.decompress(plain))
    except (ValueError, InvalidTag, zlib.error, UnicodeDecodeError):
        return {}
    return flows if isinstance(flows, dict) else {}


def write_flows(response: Response, flows: dict[str, dict[str, Any]], *, lifetime: int) -> None:
    """Seal `flows` into the cookie (dropping the oldest until it fits), or delete it when empty."""
    app = current_app
    kept = dict(sorted(flows.items(), key=lambda item: item[1].get("created", 0)))
    while kept:
        value = _seal(kept)
        if len(value) <= MAX_COOKIE_BYTES:
            response.set_cookie(
                cookie_name(app),
                value,
                max_age=lifetime,
                path=COOKIE_PATH,
                secure=app.config["SESSION_COOKIE_SECURE"],
                httponly=True,
                samesite="Lax",
            )
            return
        kept.pop(next(iter(kept)))
    response.delete_cookie(
        cookie_name(app), path=COOKIE_PATH, secure=app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax"
    )


def save_after_request(flows: dict[str, dict[str, Any]], *, lifetime: int) -> None:
    """Write `flows` as they are when this request's response goes out (error pages included)."""

    @after_this_request
    def _save(response: Response) -> Response:
        write_flows(response, flows, lifetime=lifetime)
        return response


def _seal(flows: dict[str, dict[str, Any]]) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plain = zlib.compress(json.dumps(flows, separators=(",", ":")).encode())
    sealed = nonce + AESGCM(_key()).encrypt(nonce, plain, PURPOSE)
    return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")


def _key() -> bytes:
    # A key of its own, derived from SECRET_KEY for this one purpose.
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), PURPOSE, hashlib.sha256).digest()
