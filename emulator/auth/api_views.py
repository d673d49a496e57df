"""The Auth API the portal uses: userinfo, identities, identity providers."""

from __future__ import annotations

import uuid

from flask import request
from sqlalchemy import func, select

from emulator.auth import bp
from emulator.auth.client_auth import authenticate_client
from emulator.auth.errors import bad_request, forbidden, unauthorized
from emulator.auth.identity_docs import identity_document, user_claims
from emulator.auth.models import Identity, Token
from emulator.auth.providers import IDENTITY_PROVIDERS
from emulator.auth.scope_catalog import AUTH_RS, OPENID
from emulator.auth.tokens import bearer_from_request, lookup_token
from emulator.db import db_session
from emulator.http_auth import sent_basic

MAX_LOOKUP = 100


def _auth_token() -> Token:
    """A live bearer token for auth.globus.org, or the Auth API's 401."""
    raw = bearer_from_request()
    if raw is None:
        raise unauthorized()
    row = lookup_token(db_session(), raw)
    if row is None:
        raise unauthorized("Token is not active (unknown, expired or revoked).")
    if row.resource_server != AUTH_RS:
        raise unauthorized(f"Token is for {row.resource_server!r}, not {AUTH_RS!r}.")
    return row


def _require_caller() -> None:
    """The Auth API accepts a user's auth.globus.org token or a client's own credentials."""
    if sent_basic():
        authenticate_client(db_session())
    else:
        _auth_token()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@bp.route("/v2/oauth2/userinfo", methods=["GET", "POST"])
def userinfo():
    """OIDC userinfo for the token's identity (needs the `openid` scope)."""
    row = _auth_token()
    if OPENID not in row.scope_list():
        raise forbidden("The token was not granted the 'openid' scope.")
    session = db_session()
    identity = session.get(Identity, row.identity_id)
    if identity is None:
        raise unauthorized("The token's identity no longer exists.")
    return user_claims(session, identity, set(row.scope_list()), row.auth_time)


@bp.get("/v2/api/identities")
def get_identities():
    """Look identities up by `ids` or by `usernames` (not both); unknown ones are simply absent."""
    _require_caller()
    ids = _split(request.args.get("ids", ""))
    usernames = _split(request.args.get("usernames", ""))
    if ids and usernames:
        raise bad_request("Use 'ids' or 'usernames', not both.")
    if not ids and not usernames:
        raise bad_request("One of 'ids' or 'usernames' is required.")
    if len(ids) + len(usernames) > MAX_LOOKUP:
        raise bad_request(f"At most {MAX_LOOKUP} identities can be looked up at once.")
    session = db_session()
    if ids:
        try:
            wanted = [str(uuid.UUID(value)) for value in ids]
        except ValueError as err:
            raise bad_request(f"'ids' must be identity ids (UUIDs): {err}") from err
        rows = {row.id: row for row in session.scalars(select(Identity).where(Identity.id.in_(wanted)))}
        found = [rows[value] for value in dict.fromkeys(wanted) if value in rows]
    else:
        lowered = [value.lower() for value in usernames]
        rows = {
            row.username.lower(): row
            for row in session.scalars(select(Identity).where(func.lower(Identity.username).in_(lowered)))
        }
        found = [rows[value] for value in dict.fromkeys(lowered) if value in rows]
    return {"identities": [identity_document(row) for row in found]}


@bp.get("/v2/api/identity_providers")
def get_identity_providers():
    """The known identity providers, optionally filtered by `domains` or `ids`."""
    _require_caller()
    domains = {value.lower() for value in _split(request.args.get("domains", ""))}
    ids = set(_split(request.args.get("ids", "")))
    if domains and ids:
        raise bad_request("Use 'domains' or 'ids', not both.")
    providers = [
        provider
        for provider in IDENTITY_PROVIDERS
        if (not domains or domains & set(provider.domains)) and (not ids or provider.id in ids)
    ]
    return {"identity_providers": [provider.to_dict() for provider in providers]}
