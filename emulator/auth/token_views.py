"""POST /v2/oauth2/token, /token/revoke and /token/introspect."""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify, request
from sqlalchemy import select

from emulator.auth import bp
from emulator.auth.client_auth import authenticate_client
from emulator.auth.errors import invalid_request, oauth_error
from emulator.auth.grants import GRANTS
from emulator.auth.identity_docs import account_identities
from emulator.auth.issuing import issuer, revoke
from emulator.auth.models import Identity, Token
from emulator.auth.tokens import hash_token, lookup_token
from emulator.db import db_session, write_lock

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PUBLIC_CLIENT_GRANTS = frozenset({"authorization_code", "refresh_token"})


@bp.post("/v2/oauth2/token")
def token():
    """The OAuth2 token endpoint (client authentication required for every grant)."""
    session = db_session()
    grant_type = request.form.get("grant_type", "")
    # Native apps (no secret) may exchange a code (with PKCE) and refresh, nothing else.
    client = authenticate_client(session, public_allowed=grant_type in PUBLIC_CLIENT_GRANTS)
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise oauth_error(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")
    with write_lock:
        try:
            body = handler(session, client, request.form)
            session.commit()
        except Exception:
            session.rollback()
            raise
    return jsonify(body), 200, _NO_STORE


@bp.post("/v2/oauth2/token/revoke")
def revoke_token():
    """Revoke an access or refresh token issued to the calling client; unknown tokens are fine."""
    session = db_session()
    client = authenticate_client(session)
    raw = request.form.get("token")
    if not raw:
        raise invalid_request("The 'token' parameter is required.")
    with write_lock:
        row = session.scalar(select(Token).where(Token.token_hash == hash_token(raw)))
        # RFC 7009: a token that is unknown or belongs to another client is answered the same way.
        if row is not None and row.client_id == client.id and not row.revoked:
            revoke(session, row)
            session.commit()
    return jsonify({"active": False})


def _session_info(row: Token, identity: Identity | None) -> dict:
    auth_time = row.auth_time or row.issued_at
    authentications: dict[str, dict[str, Any]] = {}
    if identity is not None and row.identity_id != row.client_id:
        authentications[identity.id] = {
            "acr": None,
            "amr": None,
            "auth_time": auth_time,
            "idp": identity.identity_provider,
            "custom_claims": {},
        }
    session_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:session:{row.identity_id}:{auth_time}"))
    return {"session_id": session_id, "authentications": authentications}


@bp.post("/v2/oauth2/token/introspect")
def introspect():
    """Describe an access token (RFC 7662 plus Globus' `identity_set` / `session_info`)."""
    session = db_session()
    authenticate_client(session)
    raw = request.form.get("token")
    if not raw:
        raise invalid_request("The 'token' parameter is required.")
    row = lookup_token(session, raw)
    if row is None:
        return jsonify({"active": False})
    identity = session.get(Identity, row.identity_id)
    body = {
        "active": True,
        "token_type": "Bearer",
        "scope": row.scopes,
        "client_id": row.client_id,
        "sub": row.identity_id,
        "username": identity.username if identity else None,
        "name": identity.name if identity else None,
        "email": identity.email if identity else None,
        "exp": row.expires_at,
        "iat": row.issued_at,
        "nbf": row.issued_at,
        "aud": list(dict.fromkeys([row.resource_server, row.client_id])),
        "iss": issuer(),
    }
    if row.dependent_scopes:
        body["dependent_scopes"] = row.dependent_scope_list()
    include = {part.strip() for part in (request.form.get("include") or "").split(",") if part.strip()}
    if "identity_set" in include:
        body["identity_set"] = [member.id for member in account_identities(session, identity)] if identity else []
    if "session_info" in include:
        body["session_info"] = _session_info(row, identity)
    return jsonify(body), 200, _NO_STORE
