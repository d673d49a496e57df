"""Consent repair bookkeeping in the server-side session.

When a page needs more consent, the extra scopes and the page to return to are kept in the
session (never trusted from the URL alone); a POST that triggered it is stashed here too and
offered back as a confirmation page after login, so the user's input is not lost.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass

from app.security.redirects import safe_next_path
from app.services.globus.scopes import validate_extra_scopes

CONSENT_KEY = "_consent_request"
STASH_KEY = "_stashed_form"
LOOP_KEY = "_consent_loop"
MAX_STASH_BYTES = 32 * 1024
MAX_STASH_FIELDS = 200
STASH_LIFETIME = 30 * 60
# The same consent requested this often within LOOP_WINDOW means Globus will not grant it.
LOOP_LIMIT = 3
LOOP_WINDOW = 120


@dataclass(frozen=True)
class StashedForm:
    """A form submission waiting for the user's confirmation after re-login."""

    action: str
    fields: list[tuple[str, str]]
    created_at: int
    # Why it was interrupted: "consent" (Globus asked for more consent) or "session" (the session ended).
    reason: str = "consent"


def remember_consent_request(session: MutableMapping, scopes: Iterable[str], next_path: str) -> bool:
    """Keep the extra scopes for the coming login; False if this consent keeps failing (a loop)."""
    scopes = validate_extra_scopes(list(scopes))
    now = int(time.time())
    fingerprint = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:16]
    loop = session.get(LOOP_KEY) or {}
    if loop.get("key") == fingerprint and now - int(loop.get("since", 0)) <= LOOP_WINDOW:
        count = int(loop.get("count", 0)) + 1
    else:
        count, loop = 1, {"key": fingerprint, "since": now}
    session[LOOP_KEY] = {"key": fingerprint, "since": loop.get("since", now), "count": count}
    if count > LOOP_LIMIT:
        return False
    session[CONSENT_KEY] = {"scopes": scopes, "next": safe_next_path(next_path) or "/"}
    return True


@dataclass(frozen=True)
class LoginRequest:
    """What the coming login must ask for, and whether it must really go to Globus Auth."""

    extra_scopes: list[str]
    # True when a page found the stored grant unusable: going straight back would loop.
    required: bool


def take_login_request(session: MutableMapping, url_scopes: str | None) -> LoginRequest:
    """The extra scopes for a login: the ones this session asked for, else allowlisted URL scopes."""
    pending = session.pop(CONSENT_KEY, None)
    if pending is not None:
        return LoginRequest(extra_scopes=list(pending.get("scopes") or []), required=True)
    scopes = validate_extra_scopes(url_scopes)
    return LoginRequest(extra_scopes=scopes, required=bool(scopes))


def stash_form(session: MutableMapping, action: str, fields: Iterable[tuple[str, str]], *, user_id: int | None) -> bool:
    """Keep `user_id`'s submitted form for replay after login; False if too big or not same-site."""
    target = safe_next_path(action)
    kept = [(str(name), str(value)) for name, value in fields if name != "csrf_token"]
    size = sum(len(name) + len(value) for name, value in kept)
    if user_id is None or target is None or len(kept) > MAX_STASH_FIELDS or size > MAX_STASH_BYTES:
        session.pop(STASH_KEY, None)
        return False
    session[STASH_KEY] = {
        "action": target,
        "fields": [list(pair) for pair in kept],
        "at": int(time.time()),
        "user": user_id,
    }
    return True


def stash_owned_by(session: MutableMapping, user_id: int) -> dict | None:
    """The stashed form if `user_id` made it; a form left in this browser by anyone else is dropped."""
    stash = session.get(STASH_KEY)
    # Offering another account's form (say, a transfer to someone else's collection) to whoever logs
    # in next would let a planted or shared session pre-fill an action for the victim to confirm.
    if isinstance(stash, dict) and stash.get("user") == user_id:
        return stash
    return None


def has_stashed_form(session: MutableMapping) -> bool:
    """True if a form is waiting to be confirmed."""
    return bool(session.get(STASH_KEY))


def pop_stashed_form(session: MutableMapping) -> StashedForm | None:
    """Take the stashed form (once); None if there is none or it is too old."""
    raw = session.pop(STASH_KEY, None)
    if not raw or int(time.time()) - int(raw.get("at", 0)) > STASH_LIFETIME:
        return None
    action = safe_next_path(raw.get("action"))
    if action is None:
        return None
    return StashedForm(
        action=action,
        fields=[(str(n), str(v)) for n, v in raw.get("fields", [])],
        created_at=int(raw["at"]),
        reason="session" if raw.get("reason") == "session" else "consent",
    )


def adopt_expired_form(session: MutableMapping, form: object, *, user_id: int) -> bool:
    """Take a form kept in a cookie when its session ended into the new session, as the user's own.

    `form` is an app.security.form_stash.ExpiredForm; a consent stash already waiting wins.
    """
    if session.get(STASH_KEY) or form is None:
        return False
    action = safe_next_path(getattr(form, "action", None))
    fields = getattr(form, "fields", None)
    if action is None or not isinstance(fields, list):
        return False
    session[STASH_KEY] = {
        "action": action,
        "fields": [[str(name), str(value)] for name, value in fields],
        "at": int(getattr(form, "created_at", 0)),
        "user": user_id,
        "reason": "session",
    }
    return True
