"""Bearer-token checks shared by every emulated service (Transfer, Search, HTTPS, Auth's own API).

A service calls `require_token(resource_server)` at the top of a view and gets a `TokenContext`:
who the caller is, which client, which scopes, and which dependent scopes (e.g. a mapped
collection's `data_access`) the user consented to under it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.auth.models import GroupMembership, Identity, Token
from emulator.db import db_session
from emulator.errors import GlobusError


def hash_token(token: str) -> str:
    """Tokens and codes are stored only as their SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenContext:
    """Who is calling, as proven by a valid bearer token."""

    identity_id: str
    client_id: str
    resource_server: str
    scopes: tuple[str, ...]
    dependent_scopes: tuple[str, ...] = ()
    # The caller's linked identities (itself included) and the groups any of them belongs to.
    identity_ids: frozenset[str] = field(default_factory=frozenset)
    group_ids: frozenset[str] = field(default_factory=frozenset)
    username: str = ""

    @property
    def is_client(self) -> bool:
        """True for client_credentials tokens (the client acts as itself)."""
        return self.identity_id == self.client_id

    def has_dependent_scope(self, scope: str) -> bool:
        """True when the user consented to `scope` beneath this token's scope (e.g. data_access)."""
        return scope in self.dependent_scopes

    def principal_urns(self) -> set[str]:
        """URNs Search uses in `visible_to`: the caller's identities and groups (plus public)."""
        urns = {"public"}
        urns.update(f"urn:globus:auth:identity:{i}" for i in self.identity_ids)
        urns.update(f"urn:globus:groups:id:{g}" for g in self.group_ids)
        return urns


def bearer_from_request() -> str | None:
    """The raw bearer token of the request's Authorization header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def linked_identity_ids(session: Session, identity_id: str) -> set[str]:
    """The identity plus every identity linked into the same account."""
    identity = session.get(Identity, identity_id)
    if identity is None:
        return {identity_id}
    account = identity.account_id or identity.id
    rows = session.scalars(select(Identity.id).where((Identity.account_id == account) | (Identity.id == account))).all()
    return set(rows) | {identity_id}


def group_ids_for(session: Session, identity_ids: set[str]) -> set[str]:
    """Every group any of these identities belongs to."""
    rows = session.scalars(select(GroupMembership.group_id).where(GroupMembership.identity_id.in_(identity_ids))).all()
    return set(rows)


def lookup_token(session: Session, raw_token: str, kind: str = "access") -> Token | None:
    """The live token row for a raw token string, or None if unknown, revoked or expired."""
    row = session.scalar(select(Token).where(Token.token_hash == hash_token(raw_token)))
    if row is None or row.kind != kind or row.revoked:
        return None
    if row.expires_at is not None and row.expires_at <= int(time.time()):
        return None
    return row


def context_for(session: Session, row: Token) -> TokenContext:
    """The TokenContext (caller, client, scopes, identities, groups) of a live token row."""
    ids = linked_identity_ids(session, row.identity_id)
    identity = session.get(Identity, row.identity_id)
    return TokenContext(
        identity_id=row.identity_id,
        client_id=row.client_id,
        resource_server=row.resource_server,
        scopes=tuple(row.scope_list()),
        dependent_scopes=tuple(row.dependent_scope_list()),
        identity_ids=frozenset(ids),
        group_ids=frozenset(group_ids_for(session, ids)),
        username=identity.username if identity else "",
    )


def require_token(resource_server: str) -> TokenContext:
    """Authenticate the request's bearer token for `resource_server`, or raise a Globus 401."""
    raw = bearer_from_request()
    if raw is None:
        raise GlobusError(401, "AuthenticationFailed", "No Authorization header with a Bearer token was sent.")
    session = db_session()
    row = lookup_token(session, raw)
    if row is None:
        raise GlobusError(401, "AuthenticationFailed", "Token is not active (unknown, expired or revoked).")
    if row.resource_server != resource_server:
        raise GlobusError(
            401,
            "AuthenticationFailed",
            f"Token is for resource server {row.resource_server!r}, not {resource_server!r}.",
        )
    return context_for(session, row)
