"""A form posted after its session ended, kept in a sealed cookie until the user has logged in again.

When a session expires (idle or absolute limit, logout in another tab) the next POST carries a
CSRF token the new, empty session does not know. Refusing it with "Bad Request" loses whatever
the user typed. Instead the form's fields (never the CSRF token or the form's one-time submission
token) are sealed into a cookie — AES-GCM under a key derived from SECRET_KEY, like the
pending-login cookie (app/security/login_state.py) — and the login callback hands them to the new
session, where app/services/form_resume.py shows the form again for the user to check and send.

Why a cookie and not the server: at that moment nobody is logged in, and writing a server-side
row for every anonymous POST would be a free way to fill the database (the same reason the
pending login travels in a cookie). The cookie is per browser, lives STASH_LIFETIME, holds at
most MAX_COOKIE_BYTES sealed (larger forms are not kept, and the page says so), and is only
accepted from a same-origin POST, so another site cannot plant a form for the user to confirm.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Request, Response, current_app

from app.security.redirects import safe_next_path

PURPOSE = b"gateway expired-form cookie"
NONCE_BYTES = 12
MAX_COOKIE_BYTES = 3800
MAX_FIELDS = 200
STASH_LIFETIME = 30 * 60
# Fields that are credentials or one-time tokens: never kept (a restored form gets fresh ones).
SECRET_FIELDS = frozenset({"csrf_token", "form_token"})


@dataclass(frozen=True)
class ExpiredForm:
    """A form that arrived after its session ended: where it was going and what it held."""

    action: str
    fields: list[tuple[str, str]]
    created_at: int


def cookie_name() -> str:
    """`__Host-` in production, like the session cookie."""
    return "__Host-gateway_form" if current_app.config["SESSION_COOKIE_SECURE"] else "gateway_form"


def same_origin(request: Request) -> bool:
    """True when the browser says the POST came from a page of this site (Sec-Fetch-Site or Origin)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/") + "/" == request.host_url


def seal(action: str, fields: Iterable[tuple[str, str]]) -> str | None:
    """The cookie value keeping a form, or None when it cannot be kept (too big, or not for this site)."""
    target = safe_next_path(action)
    kept = [[str(name), str(value)] for name, value in fields if name not in SECRET_FIELDS]
    if target is None or len(kept) > MAX_FIELDS:
        return None
    plain = zlib.compress(
        json.dumps({"action": target, "fields": kept, "at": int(time.time())}, separators=(",", ":")).encode()
    )
    nonce = os.urandom(NONCE_BYTES)
    value = base64.urlsafe_b64encode(nonce + AESGCM(_key()).encrypt(nonce, plain, PURPOSE)).decode().rstrip("=")
    return value if len(value) <= MAX_COOKIE_BYTES else None


def keep(response: Response, value: str) -> None:
    """Set the sealed form on the response (HttpOnly, SameSite=Lax, for STASH_LIFETIME)."""
    response.set_cookie(
        cookie_name(),
        value,
        max_age=STASH_LIFETIME,
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def discard(response: Response) -> None:
    """Delete the cookie (once its form has been handed to a logged-in session)."""
    response.delete_cookie(
        cookie_name(), path="/", secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax"
    )


def read(request: Request) -> ExpiredForm | None:
    """The form this browser carries; None when absent, too old, forged or unreadable."""
    value = request.cookies.get(cookie_name())
    if not value:
        return None
    try:
        sealed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        raw: Any = json.loads(
            zlib.decompress(AESGCM(_key()).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], PURPOSE))
        )
        action = safe_next_path(raw["action"])
        created = int(raw["at"])
        fields = [(str(name), str(field)) for name, field in raw["fields"]]
    except (ValueError, KeyError, TypeError, InvalidTag, zlib.error, UnicodeDecodeError):
        return None
    if action is None or int(time.time()) - created > STASH_LIFETIME:
        return None
    return ExpiredForm(action=action, fields=fields, created_at=created)


def _key() -> bytes:
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), PURPOSE, hashlib.sha256).digest()
