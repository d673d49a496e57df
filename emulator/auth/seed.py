"""Seed Globus Auth: identity providers' users, a group, the portal and automation clients, scopes.

Ids are uuid5 of stable names so they survive resets; secrets and passwords are fresh each seed
(passwords follow the documented `<first name>-demo-password` rule so people can log in by hand).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.orm import Session

from emulator.auth.credentials import hash_client_secret, hash_password
from emulator.auth.models import Client, ClientScope, Group, GroupMembership, Identity
from emulator.auth.providers import provider_for_username
from emulator.auth.scope_catalog import SEARCH_ALL, TRANSFER_ALL
from emulator.settings import EmulatorSettings

DEFAULT_PORTAL_REDIRECT_URIS = (
    "http://127.0.0.1:5000/auth/callback",
    "http://localhost:5000/auth/callback",
)

# (username, display name, role, organization)
SEEDED_USERS = (
    ("alice@example.edu", "Alice Researcher", "researcher", "Example University"),
    ("bob@example.edu", "Bob Scientist", "researcher", "Example University"),
    ("carol@example.edu", "Carol Labadmin", "lab_admin", "Example University"),
    ("dave@example.edu", "Dave Newcomer", "researcher", "Example University"),
)
LINKED_IDENTITIES = {"alice@example.edu": ("alice@orcid.example.org", "Alice Researcher", "ORCID (local)")}
LAB_GROUP = (
    "cryo-em-lab",
    "Cryo-EM Lab",
    {"alice@example.edu": "member", "bob@example.edu": "member", "carol@example.edu": "admin"},
)


def stable_id(kind: str, name: str) -> str:
    """uuid5(NAMESPACE_URL, "emulator:<kind>:<name>"), the id scheme of every seeded object."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:{kind}:{name}"))


def demo_password(username: str) -> str:
    """The documented demo password: `<first name>-demo-password`."""
    return f"{username.split('@')[0]}-demo-password"


def gateway_api_scope(portal_client_id: str) -> str:
    """The portal's own API scope string."""
    return f"https://auth.globus.org/scopes/{portal_client_id}/gateway_api"


def _identity(username: str, name: str, organization: str, password: str | None, role: str) -> Identity:
    provider = provider_for_username(username)
    if provider is None:
        raise ValueError(f"no identity provider for {username!r}")
    return Identity(
        id=stable_id("identity", username),
        username=username,
        name=name,
        email=username if password is not None else None,
        organization=organization,
        identity_provider=provider.id,
        status="used",
        password_hash=hash_password(password) if password is not None else None,
        role=role,
    )


def _client(
    session: Session, slug: str, name: str, purpose: str, redirect_uris: list[str], *, public: bool = False
) -> dict[str, Any]:
    client_id = stable_id("client", slug)
    # A native app (public client) has no secret at all: its secret_hash stays empty.
    secret = None if public else secrets.token_urlsafe(32)
    session.add(
        Client(
            id=client_id,
            name=name,
            secret_hash=hash_client_secret(secret) if secret else "",
            redirect_uris="\n".join(redirect_uris),
            purpose=purpose,
        )
    )
    # Every client is also an identity, the subject of its client_credentials tokens.
    client_identity = _identity(f"{client_id}@clients.auth.globus.org", name, "", None, "client")
    client_identity.id = client_id
    session.add(client_identity)
    return {"client_id": client_id, "client_secret": secret, "name": name}


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def seed_auth(session: Session, manifest: dict[str, Any], settings: EmulatorSettings) -> None:
    """Create the seeded identities, group, clients and scopes; record them in `manifest`."""
    group_slug, group_name, group_roles = LAB_GROUP
    group_id = stable_id("group", group_slug)
    session.add(Group(id=group_id, name=group_name, description="Members of the cryo-EM laboratory"))

    users = []
    for username, name, role, organization in SEEDED_USERS:
        password = demo_password(username)
        identity = _identity(username, name, organization, password, role)
        session.add(identity)
        linked_ids = []
        if username in LINKED_IDENTITIES:
            linked_username, linked_name, linked_org = LINKED_IDENTITIES[username]
            linked = _identity(linked_username, linked_name, linked_org, password, role)
            linked.account_id = identity.id
            session.add(linked)
            linked_ids.append(linked.id)
        users.append(
            {
                "username": username,
                "password": password,
                "identity_id": identity.id,
                "name": name,
                "email": identity.email,
                "role": role,
                "groups": [group_id] if username in group_roles else [],
                "linked_identities": linked_ids,
            }
        )

    # No ORM relationships order these inserts for us: rows referenced by foreign keys go first.
    session.flush()
    for username, role in group_roles.items():
        session.add(GroupMembership(group_id=group_id, identity_id=stable_id("identity", username), role=role))

    redirect_uris = _unique(list(DEFAULT_PORTAL_REDIRECT_URIS) + list(settings.redirect_uris))
    portal = _client(session, "portal", "Science Gateway (local)", "portal", redirect_uris)
    portal["redirect_uris"] = redirect_uris
    portal["api_scope"] = gateway_api_scope(portal["client_id"])
    session.flush()
    session.add(
        ClientScope(
            scope_string=portal["api_scope"],
            client_id=portal["client_id"],
            name="Use the Science Gateway on your behalf, including Globus Transfer and Search",
            dependent_scopes=f"{TRANSFER_ALL} {SEARCH_ALL}",
        )
    )
    automation = _client(session, "automation", "Gateway automation (local)", "automation", [])
    # Another portal that calls the gateway's API for its users (asks for the gateway_api scope);
    # its redirect URIs are added through the control API (client "partner").
    partner = _client(session, "partner-portal", "Partner Portal (local)", "partner", [])
    # The gateway's command line (gateway-client login): a native app, no secret, PKCE only.
    native = _client(session, "gateway-cli", "Science Gateway command line (local)", "native", [], public=True)

    manifest["users"] = users
    manifest["groups"] = [{"id": group_id, "name": group_name, "members": dict(group_roles)}]
    manifest["clients"] = {"portal": portal, "automation": automation, "partner": partner, "native": native}


def ensure_redirect_uris(session: Session, client_id: str, uris: list[str]) -> list[str]:
    """Add exact redirect URIs to a client (idempotent); returns its full list."""
    client = session.get(Client, client_id)
    if client is None:
        raise LookupError(f"unknown client {client_id}")
    current = [uri for uri in client.redirect_uris.split("\n") if uri]
    merged = _unique(current + list(uris))
    if merged != current:
        client.redirect_uris = "\n".join(merged)
    return merged
