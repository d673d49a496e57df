"""Identity documents and OIDC claims built from identity rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.auth.models import Identity
from emulator.auth.providers import provider_by_id
from emulator.auth.scope_catalog import EMAIL, PROFILE


def identity_document(identity: Identity) -> dict[str, Any]:
    """One identity as `/v2/api/identities` returns it."""
    is_client = identity.username.endswith("@clients.auth.globus.org")
    return {
        "id": identity.id,
        "username": identity.username,
        "name": identity.name or None,
        "email": identity.email,
        "identity_provider": identity.identity_provider,
        "identity_type": "client" if is_client else "login",
        "organization": identity.organization or None,
        "status": identity.status,
    }


def account_identities(session: Session, identity: Identity) -> list[Identity]:
    """The identity and every identity linked with it, primary first."""
    account = identity.account_id or identity.id
    rows = session.scalars(select(Identity).where((Identity.account_id == account) | (Identity.id == account))).all()
    return sorted(rows, key=lambda row: (row.id != account, row.username))


def _provider_name(identity: Identity) -> str:
    provider = provider_by_id(identity.identity_provider)
    return provider.name if provider else ""


def identity_claims(identity: Identity, scopes: set[str], auth_time: int | None) -> dict[str, Any]:
    """OIDC claims about one identity, limited to what the granted scopes reveal."""
    claims: dict[str, Any] = {"sub": identity.id, "identity_provider": identity.identity_provider}
    if PROFILE in scopes:
        claims.update(
            {
                "name": identity.name,
                "preferred_username": identity.username,
                "organization": identity.organization,
                "identity_provider_display_name": _provider_name(identity),
            }
        )
    if EMAIL in scopes:
        claims["email"] = identity.email
    if auth_time is not None:
        claims["last_authentication"] = auth_time
    return claims


def user_claims(session: Session, identity: Identity, scopes: set[str], auth_time: int | None) -> dict[str, Any]:
    """Claims for the ID token and userinfo: the identity's own plus its `identity_set`."""
    claims = identity_claims(identity, scopes, auth_time)
    members = []
    for member in account_identities(session, identity):
        entry = identity_claims(member, scopes, auth_time if member.id == identity.id else None)
        if "preferred_username" in entry:
            # Globus names it `username` inside identity_set.
            entry["username"] = entry.pop("preferred_username")
        members.append(entry)
    claims["identity_set"] = members
    return claims
