"""The token endpoint's grant types: authorization_code, refresh_token, client_credentials and
Globus' dependent_token grant. Each takes the authenticated client and the form, returns a body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from emulator.auth.errors import invalid_grant, invalid_request, invalid_scope
from emulator.auth.issuing import (
    TokenRequest,
    id_token,
    mint,
    requests_from_nodes,
    token_response,
    wants_id_token,
)
from emulator.auth.models import AuthorizationCode, Client, ClientScope, Identity
from emulator.auth.scope_catalog import (
    TRANSFER_RS,
    InvalidScope,
    group_by_resource_server,
    is_data_access,
    parse_requested,
)
from emulator.auth.tokens import hash_token, lookup_token
from emulator.db import rows_affected


def _scopes_or_error(session: Session, scope_string: str):
    try:
        return parse_requested(session, scope_string)
    except InvalidScope as err:
        raise invalid_scope(str(err)) from err


def pkce_matches(verifier: str, challenge: str) -> bool:
    """S256: the challenge is base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(expected, challenge)


def _claim_code(session: Session, client: Client, form: MultiDict) -> AuthorizationCode:
    raw = form.get("code")
    if not raw:
        raise invalid_request("The 'code' parameter is required.")
    row = session.get(AuthorizationCode, hash_token(raw))
    if row is None or row.client_id != client.id:
        raise invalid_grant("Unknown authorization code.")
    if row.used:
        raise invalid_grant("This authorization code was already used.")
    if row.expires_at <= int(time.time()):
        raise invalid_grant("This authorization code has expired.")
    if form.get("redirect_uri") != row.redirect_uri:
        raise invalid_grant("redirect_uri does not match the one used to obtain the code.")
    verifier = form.get("code_verifier")
    if not client.secret_hash and not row.code_challenge:
        raise invalid_grant("A native app must use PKCE (code_challenge with S256).")
    if row.code_challenge:
        if not verifier:
            raise invalid_grant("code_verifier is required: a code_challenge was sent with the request.")
        if not pkce_matches(verifier, row.code_challenge):
            raise invalid_grant("code_verifier does not match the code_challenge.")
    elif verifier:
        raise invalid_grant("code_verifier was sent but the authorization request had no code_challenge.")
    # Conditional update: of two concurrent exchanges of one code, exactly one wins.
    claimed = session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == row.code_hash, AuthorizationCode.used.is_(False))
        .values(used=True)
    )
    if rows_affected(claimed) != 1:
        raise invalid_grant("This authorization code was already used.")
    return row


def authorization_code(session: Session, client: Client, form: MultiDict) -> dict[str, Any]:
    """Exchange a single-use code (+ PKCE verifier) for tokens, grouped by resource server."""
    code = _claim_code(session, client, form)
    requested = requests_from_nodes(group_by_resource_server(session, _scopes_or_error(session, code.scopes)))
    tokens = [
        mint(
            session,
            client_id=client.id,
            identity_id=code.identity_id,
            wanted=item,
            offline=code.offline,
            auth_time=code.auth_time,
        )
        for item in requested
    ]
    oidc = None
    if wants_id_token(requested):
        identity = session.get(Identity, code.identity_id)
        if identity is None:  # removed through the control API after the code was issued
            raise invalid_grant("The user this code was issued to no longer exists.")
        all_scopes = {scope for item in requested for scope in item.scopes}
        oidc = id_token(
            session,
            client_id=client.id,
            identity=identity,
            scopes=all_scopes,
            auth_time=code.auth_time,
            nonce=code.nonce,
        )
    return token_response(tokens, id_token=oidc, state=code.state)


def refresh_token(session: Session, client: Client, form: MultiDict) -> dict[str, Any]:
    """A new access token for the refresh token's resource server; the refresh token is echoed."""
    raw = form.get("refresh_token")
    if not raw:
        raise invalid_request("The 'refresh_token' parameter is required.")
    row = lookup_token(session, raw, kind="refresh")
    if row is None or row.client_id != client.id:
        raise invalid_grant("Refresh token is not active (unknown, revoked, or issued to another client).")
    scopes = row.scope_list()
    if form.get("scope"):
        asked = form["scope"].split()
        if not set(asked) <= set(scopes):
            raise invalid_scope("A refresh can only ask for scopes the refresh token was granted.")
        scopes = [scope for scope in scopes if scope in asked]
    wanted = TokenRequest(row.resource_server, scopes, row.dependent_scope_list())
    token = mint(
        session,
        client_id=client.id,
        identity_id=row.identity_id,
        wanted=wanted,
        offline=False,
        auth_time=row.auth_time,
        parent_refresh_id=row.id,
    )
    token["refresh_token"] = raw
    return token_response([token])


def client_credentials(session: Session, client: Client, form: MultiDict) -> dict[str, Any]:
    """Tokens for the client acting as itself (its identity id is its client id)."""
    if not form.get("scope"):
        raise invalid_scope("The 'scope' parameter is required for the client_credentials grant.")
    requested = requests_from_nodes(group_by_resource_server(session, _scopes_or_error(session, form["scope"])))
    tokens = [
        mint(session, client_id=client.id, identity_id=client.id, wanted=item, offline=False, auth_time=None)
        for item in requested
    ]
    oidc = None
    if wants_id_token(requested):
        identity = session.get(Identity, client.id)
        if identity is not None:
            all_scopes = {scope for item in requested for scope in item.scopes}
            oidc = id_token(
                session, client_id=client.id, identity=identity, scopes=all_scopes, auth_time=None, nonce=None
            )
    return token_response(tokens, id_token=oidc)


def _dependent_requests(
    session: Session, client: Client, parent_scopes: list[str], parent_dependents: list[str], scope_param: str | None
) -> list[TokenRequest]:
    api_scopes = session.scalars(
        select(ClientScope).where(ClientScope.client_id == client.id, ClientScope.scope_string.in_(parent_scopes))
    ).all()
    available = {name for api in api_scopes for name in api.dependent_scopes.split()}
    if scope_param:
        nodes = _scopes_or_error(session, scope_param)
        for node in nodes:
            if node.name not in available:
                raise invalid_scope(f"{node.name!r} is not a dependent scope of the token's scopes.")
            for child in node.descendants():
                if child.name not in parent_dependents:
                    raise invalid_scope(f"The user has not consented to {child.name!r} for this client.")
    else:
        nodes = _scopes_or_error(session, " ".join(sorted(available))) if available else []
    if not nodes:
        raise invalid_scope("The token's scopes have no dependent scopes.")
    requested = requests_from_nodes(group_by_resource_server(session, nodes))
    for item in requested:
        if item.resource_server == TRANSFER_RS:
            # data_access consents given under the API scope carry over to the Transfer token.
            extra = [name for name in parent_dependents if is_data_access(name)]
            item.dependent_scopes = list(dict.fromkeys(item.dependent_scopes + extra))
    return requested


def dependent_token(session: Session, client: Client, form: MultiDict) -> list[dict[str, Any]]:
    """Swap a token minted for this client's API for tokens for the APIs it depends on."""
    raw = form.get("token")
    if not raw:
        raise invalid_request("The 'token' parameter is required.")
    parent = lookup_token(session, raw)
    if parent is None:
        raise invalid_grant("The token is not active (unknown, expired or revoked).")
    if parent.resource_server != client.id:
        raise invalid_grant("The token was not issued for this client's API; only its resource server may use it.")
    requested = _dependent_requests(
        session, client, parent.scope_list(), parent.dependent_scope_list(), form.get("scope")
    )
    offline = form.get("access_type") == "offline"
    return [
        mint(
            session,
            client_id=client.id,
            identity_id=parent.identity_id,
            wanted=item,
            offline=offline,
            auth_time=parent.auth_time,
        )
        for item in requested
    ]


GRANTS = {
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    "client_credentials": client_credentials,
    "urn:globus:auth:grant_type:dependent_token": dependent_token,
}
