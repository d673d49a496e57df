"""State of a browser's sign-in at the emulator: pending authorize requests, login, consent, codes.

Pending requests live in the emulator's database, keyed by a random id and bound to a random
browser id in the emulator's own signed cookie (which also holds who is logged in and the CSRF
token), so two tabs signing in at once do not trample each other. Nothing here is the portal's.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app
from flask import session as browser
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from emulator.auth.credentials import same_secret
from emulator.auth.models import AuthorizationCode, Client, Consent, Identity, PendingAuthorization
from emulator.auth.scope_parser import ScopeNode, parse_scopes
from emulator.auth.tokens import hash_token

PENDING_LIFETIME = 3600
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")


@dataclass
class PendingRequest:
    """An authorize request waiting for the user to log in and/or consent."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    offline: bool
    prompt_login: bool
    session_message: str | None
    created: int
    logged_in: bool = False
    # OIDC prompt=consent: ask again even for scopes the user already allowed.
    prompt_consent: bool = False


def client_redirect_uris(client: Client) -> list[str]:
    """The client's registered redirect URIs (exact strings)."""
    return [uri for uri in client.redirect_uris.split("\n") if uri]


def validate_pkce(challenge: str | None, method: str | None) -> str | None:
    """An error description for a bad PKCE pair, or None when acceptable (S256 or no PKCE)."""
    if challenge is None and method is None:
        return None
    if challenge is None:
        return "code_challenge_method was sent without a code_challenge."
    if method != "S256":
        return "Only code_challenge_method=S256 is supported."
    if not _CHALLENGE.match(challenge):
        return "code_challenge must be 43-128 base64url characters."
    return None


def csrf_token() -> str:
    """The CSRF token of this browser's emulator session (created on first use)."""
    if "csrf" not in browser:
        browser["csrf"] = secrets.token_urlsafe(24)
    return browser["csrf"]


def csrf_ok(submitted: str | None) -> bool:
    """True when a form carried this session's CSRF token."""
    expected = browser.get("csrf")
    return bool(expected and submitted and same_secret(submitted, expected))


def _browser_id() -> str:
    """A random id for this browser's emulator cookie; pending requests are bound to it."""
    if "browser_id" not in browser:
        browser["browser_id"] = secrets.token_urlsafe(24)
    return browser["browser_id"]


def save_pending(session: Session, pending: PendingRequest) -> str:
    """Store a pending request for this browser (caller commits); returns its id."""
    now = int(time.time())
    session.execute(delete(PendingAuthorization).where(PendingAuthorization.created_at <= now - PENDING_LIFETIME))
    rid = secrets.token_urlsafe(18)
    session.add(
        PendingAuthorization(id=rid, browser_id=_browser_id(), payload=json.dumps(asdict(pending)), created_at=now)
    )
    return rid


def load_pending(session: Session, rid: str | None) -> PendingRequest | None:
    """This browser's pending request by id, if it exists and has not expired."""
    row = session.get(PendingAuthorization, rid or "")
    if row is None or row.browser_id != browser.get("browser_id"):
        return None
    if row.created_at + PENDING_LIFETIME <= int(time.time()):
        return None
    return PendingRequest(**json.loads(row.payload))


def update_pending(session: Session, rid: str, pending: PendingRequest) -> None:
    """Write back a changed pending request (caller commits)."""
    row = session.get(PendingAuthorization, rid)
    if row is not None:
        row.payload = json.dumps(asdict(pending))


def drop_pending(session: Session, rid: str) -> None:
    """Forget a finished (or abandoned) request (caller commits)."""
    session.execute(delete(PendingAuthorization).where(PendingAuthorization.id == rid))


def logged_in_identity(session: Session) -> Identity | None:
    """The identity this browser logged in as at the emulator, if any."""
    identity_id = browser.get("identity_id")
    return session.get(Identity, identity_id) if identity_id else None


def log_in(identity: Identity) -> None:
    """Remember the identity in the emulator's cookie session."""
    browser["identity_id"] = identity.id
    browser["auth_time"] = int(time.time())


def log_out() -> None:
    """Forget the logged-in identity; a new browser id orphans any pending requests."""
    for key in ("identity_id", "auth_time", "browser_id"):
        browser.pop(key, None)


def _covers(granted: ScopeNode, wanted: ScopeNode) -> bool:
    return granted.name == wanted.name and (
        {node.name for node in wanted.descendants()} <= {node.name for node in granted.descendants()}
    )


def missing_consents(session: Session, identity_id: str, client_id: str, nodes: list[ScopeNode]) -> list[ScopeNode]:
    """The requested top-level scopes this user has not yet consented to for this client."""
    rows = session.scalars(
        select(Consent.scope_string).where(Consent.identity_id == identity_id, Consent.client_id == client_id)
    ).all()
    granted = [node for row in rows for node in parse_scopes(row)]
    return [node for node in nodes if not any(_covers(old, node) for old in granted)]


def record_consents(session: Session, identity_id: str, client_id: str, nodes: list[ScopeNode]) -> None:
    """Store consent for each top-level scope (with its dependent scopes)."""
    for node in nodes:
        session.add(Consent(identity_id=identity_id, client_id=client_id, scope_string=node.serialize()))


def issue_code(session: Session, pending: PendingRequest, identity: Identity) -> str:
    """Create a single-use authorization code for the pending request; returns the raw code."""
    raw = secrets.token_urlsafe(32)
    settings = current_app.config["EMULATOR_SETTINGS"]
    session.add(
        AuthorizationCode(
            code_hash=hash_token(raw),
            client_id=pending.client_id,
            identity_id=identity.id,
            redirect_uri=pending.redirect_uri,
            scopes=pending.scope,
            code_challenge=pending.code_challenge,
            code_challenge_method=pending.code_challenge_method,
            nonce=pending.nonce,
            state=pending.state,
            offline=pending.offline,
            auth_time=int(browser.get("auth_time") or time.time()),
            expires_at=int(time.time()) + int(settings.code_lifetime),
        )
    )
    return raw


def redirect_with(redirect_uri: str, params: dict[str, Any]) -> str:
    """The redirect URI with `params` added to its query string (None values left out)."""
    parts = urlsplit(redirect_uri)
    extra = urlencode({key: value for key, value in params.items() if value is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
