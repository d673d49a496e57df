"""Minting access and refresh tokens and shaping the token endpoint's answers."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from sqlalchemy import update
from sqlalchemy.orm import Session

from emulator.auth.identity_docs import user_claims
from emulator.auth.keys import load_or_create_key, sign_jwt
from emulator.auth.models import Identity, Token
from emulator.auth.scope_catalog import AUTH_RS, OPENID
from emulator.auth.scope_parser import ScopeNode
from emulator.auth.tokens import hash_token


def issuer() -> str:
    """The issuer URL as seen by the caller (base URL of this request + /auth)."""
    return request.host_url.rstrip("/") + "/auth"


def access_token_lifetime() -> int:
    """Read live: the control API may change it while the emulator runs."""
    return int(current_app.config["EMULATOR_SETTINGS"].access_token_lifetime)


def new_token_string() -> str:
    """A random opaque token (Globus tokens are opaque to clients too)."""
    return secrets.token_urlsafe(36)


@dataclass
class TokenRequest:
    """What one resource server's token should carry."""

    resource_server: str
    scopes: list[str]
    dependent_scopes: list[str] = field(default_factory=list)


def requests_from_nodes(groups: dict[str, list[ScopeNode]]) -> list[TokenRequest]:
    """One TokenRequest per resource server; dependent scopes are every bracketed descendant."""
    result = []
    for resource_server, nodes in groups.items():
        dependents: list[str] = []
        for node in nodes:
            dependents.extend(child.name for child in node.descendants())
        result.append(TokenRequest(resource_server, [n.name for n in nodes], list(dict.fromkeys(dependents))))
    # The auth.globus.org token goes first: the ID token travels with it at the top level.
    result.sort(key=lambda item: item.resource_server != AUTH_RS)
    return result


def mint(
    session: Session,
    *,
    client_id: str,
    identity_id: str,
    wanted: TokenRequest,
    offline: bool,
    auth_time: int | None,
    parent_refresh_id: int | None = None,
) -> dict[str, Any]:
    """Store a new access token (and a refresh token when `offline`) and return its token dict."""
    now = int(time.time())
    lifetime = access_token_lifetime()
    common = dict(
        client_id=client_id,
        identity_id=identity_id,
        resource_server=wanted.resource_server,
        scopes=" ".join(wanted.scopes),
        dependent_scopes=" ".join(wanted.dependent_scopes),
        issued_at=now,
        auth_time=auth_time,
    )
    refresh_string = None
    if offline:
        refresh_string = new_token_string()
        refresh_row = Token(token_hash=hash_token(refresh_string), kind="refresh", expires_at=None, **common)
        session.add(refresh_row)
        session.flush()
        parent_refresh_id = refresh_row.id
    access_string = new_token_string()
    session.add(
        Token(
            token_hash=hash_token(access_string),
            kind="access",
            expires_at=now + lifetime,
            parent_refresh_id=parent_refresh_id,
            **common,
        )
    )
    token = {
        "access_token": access_string,
        "scope": " ".join(wanted.scopes),
        "resource_server": wanted.resource_server,
        "expires_in": lifetime,
        "token_type": "Bearer",
    }
    if refresh_string is not None:
        token["refresh_token"] = refresh_string
    return token


def id_token(
    session: Session, *, client_id: str, identity: Identity, scopes: set[str], auth_time: int | None, nonce: str | None
) -> str:
    """A signed OIDC ID token for `identity`, addressed to `client_id`."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer(),
        "aud": client_id,
        "azp": client_id,
        "iat": now,
        "exp": now + access_token_lifetime(),
        "auth_time": auth_time or now,
    }
    claims.update(user_claims(session, identity, scopes, auth_time))
    if nonce:
        claims["nonce"] = nonce
    key = load_or_create_key(current_app.instance_path)
    return sign_jwt(claims, key)


def token_response(tokens: list[dict[str, Any]], **top_level: Any) -> dict[str, Any]:
    """The first token at the top level, the others in `other_tokens` (always present)."""
    body = dict(tokens[0])
    body.update({key: value for key, value in top_level.items() if value is not None})
    body["other_tokens"] = tokens[1:]
    return body


def wants_id_token(requested: list[TokenRequest]) -> bool:
    """True when `openid` was among the requested scopes."""
    return any(OPENID in item.scopes for item in requested)


def revoke(session: Session, row: Token) -> None:
    """Revoke a token; revoking a refresh token also kills the access tokens minted from it."""
    row.revoked = True
    if row.kind == "refresh":
        session.execute(update(Token).where(Token.parent_refresh_id == row.id).values(revoked=True))
