"""Which scopes exist, which resource server each belongs to, and what each means in plain words.

The table mirrors docs/emulator.md. A client's own API scopes (e.g. the portal's `gateway_api`)
come from the `client_scopes` table, with the dependent scopes they may carry.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from emulator.auth.models import ClientScope
from emulator.auth.scope_parser import ScopeNode, ScopeSyntaxError, parse_scopes

AUTH_RS = "auth.globus.org"
TRANSFER_RS = "transfer.api.globus.org"
SEARCH_RS = "search.api.globus.org"

OPENID = "openid"
PROFILE = "profile"
EMAIL = "email"
VIEW_IDENTITIES = "urn:globus:auth:scope:auth.globus.org:view_identities"
VIEW_IDENTITY_SET = "urn:globus:auth:scope:auth.globus.org:view_identity_set"
TRANSFER_ALL = "urn:globus:auth:scope:transfer.api.globus.org:all"
SEARCH_ALL = "urn:globus:auth:scope:search.api.globus.org:all"

_FIXED = {
    OPENID: (AUTH_RS, "Know who you are: your Globus identity"),
    PROFILE: (AUTH_RS, "See your name, username and organization"),
    EMAIL: (AUTH_RS, "See your email address"),
    VIEW_IDENTITIES: (AUTH_RS, "Look up other people's identities (names and usernames)"),
    VIEW_IDENTITY_SET: (AUTH_RS, "See all the identities linked to your account"),
    TRANSFER_ALL: (TRANSFER_RS, "Browse your collections and move, copy and delete files with Globus Transfer"),
    SEARCH_ALL: (SEARCH_RS, "Search, and publish to, Globus Search indexes you can use"),
}

_COLLECTION_SCOPE = re.compile(r"^https://auth\.globus\.org/scopes/([0-9a-fA-F-]{36})/(https|data_access)$")


class InvalidScope(ValueError):
    """A requested scope is unknown, malformed or not allowed where it appears."""


@dataclass(frozen=True)
class ScopeInfo:
    """What the emulator knows about one (base) scope string."""

    name: str
    resource_server: str
    description: str


def _collection_scope(name: str) -> tuple[str, str] | None:
    match = _COLLECTION_SCOPE.match(name)
    if not match:
        return None
    try:
        collection_id = str(uuid.UUID(match.group(1)))
    except ValueError:
        return None
    return collection_id, match.group(2)


def describe(session: Session, name: str) -> ScopeInfo | None:
    """Resolve one base scope string, or None if the emulator does not know it."""
    if name in _FIXED:
        rs, text = _FIXED[name]
        return ScopeInfo(name, rs, text)
    collection = _collection_scope(name)
    if collection is not None:
        collection_id, kind = collection
        if kind == "https":
            return ScopeInfo(name, collection_id, f"Download and upload files over HTTPS on collection {collection_id}")
        return ScopeInfo(name, collection_id, f"Use your data on the mapped collection {collection_id}")
    client_scope = session.get(ClientScope, name)
    if client_scope is not None:
        return ScopeInfo(
            name, client_scope.client_id, client_scope.name or f"Use the API of client {client_scope.client_id}"
        )
    return None


def allowed_dependents(session: Session, name: str) -> set[str] | None:
    """Base names a scope may carry in brackets; None means 'any data_access scope' (Transfer)."""
    if name == TRANSFER_ALL:
        return None
    client_scope = session.get(ClientScope, name)
    if client_scope is not None:
        return set(client_scope.dependent_scopes.split())
    return set()


def is_data_access(name: str) -> bool:
    """True for a mapped collection's `data_access` scope."""
    collection = _collection_scope(name)
    return collection is not None and collection[1] == "data_access"


def _check_children(session: Session, node: ScopeNode) -> None:
    allowed = allowed_dependents(session, node.name)
    for child in node.children:
        if allowed is None:
            if not is_data_access(child.name):
                raise InvalidScope(f"{child.name!r} cannot depend on {node.name!r}; only data_access scopes can")
        elif child.name not in allowed:
            raise InvalidScope(f"{child.name!r} is not a dependent scope of {node.name!r}")
        _check_children(session, child)


def parse_requested(session: Session, scope_string: str) -> list[ScopeNode]:
    """Parse and validate a requested scope string; raises InvalidScope on anything unknown."""
    try:
        nodes = parse_scopes(scope_string or "")
    except ScopeSyntaxError as err:
        raise InvalidScope(f"malformed scope string: {err}") from err
    if not nodes:
        raise InvalidScope("no scope was requested")
    seen: set[str] = set()
    for node in nodes:
        if node.name in seen:
            raise InvalidScope(f"scope {node.name!r} was requested twice")
        seen.add(node.name)
        if describe(session, node.name) is None or is_data_access(node.name):
            raise InvalidScope(f"unknown scope {node.name!r}")
        _check_children(session, node)
    return nodes


def group_by_resource_server(session: Session, nodes: list[ScopeNode]) -> dict[str, list[ScopeNode]]:
    """Top-level scopes grouped by resource server, in the order first requested."""
    groups: dict[str, list[ScopeNode]] = {}
    for node in nodes:
        info = describe(session, node.name)
        if info is None:
            raise InvalidScope(f"unknown scope {node.name!r}")
        groups.setdefault(info.resource_server, []).append(node)
    return groups
