"""The portal as a resource server: introspect a caller's token, swap it for dependent tokens.

Both calls use the portal's own client credentials (the token was issued for the portal's
`gateway_api` scope, so only the portal may introspect it or get tokens that depend on it).
Callers get plain data back; failures arrive as the portal's domain errors (services/globus/errors.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.services.globus.clients import StoredGrant, login_client
from app.services.globus.errors import globus_errors
from app.services.globus.settings import GlobusSettings

INTROSPECT_INCLUDE = "identity_set,session_info"


def introspect(settings: GlobusSettings, token: str) -> dict[str, Any]:
    """Globus Auth's description of `token` (active, scope, exp, nbf, aud, sub, identity_set, session_info)."""
    with globus_errors("auth"):
        response = login_client(settings).oauth2_token_introspect(token, include=INTROSPECT_INCLUDE)
        return dict(response.data) if isinstance(response.data, dict) else {"active": False}


@dataclass(frozen=True)
class DependentGrant:
    """One dependent token: the resource server it is for, and its tokens."""

    resource_server: str
    scope: str
    grant: StoredGrant


def dependent_tokens(settings: GlobusSettings, token: str, scopes: Iterable[str] = ()) -> list[DependentGrant]:
    """The tokens Globus Auth mints for the portal to call other services as the token's user."""
    wanted = " ".join(scopes)
    with globus_errors("auth"):
        client = login_client(settings)
        if wanted:
            response = client.oauth2_get_dependent_tokens(token, scope=wanted)
        else:
            response = client.oauth2_get_dependent_tokens(token)
        by_server = response.by_resource_server
    return [
        DependentGrant(
            resource_server=server,
            scope=str(data.get("scope") or ""),
            grant=StoredGrant(str(data["access_token"]), data.get("refresh_token"), int(data["expires_at_seconds"])),
        )
        for server, data in by_server.items()
    ]
