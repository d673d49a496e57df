"""Who may do what on an index: optional bearer tokens for reading, roles for writing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext, bearer_from_request, context_for, lookup_token
from emulator.db import db_session
from emulator.search.documents import search_error
from emulator.search.models import SearchIndex, SearchIndexRole

RESOURCE_SERVER = "search.api.globus.org"
ROLE_RANK = {"writer": 1, "admin": 2, "owner": 3}
PUBLIC = frozenset({"public"})


def optional_caller() -> TokenContext | None:
    """The caller's token context, None when no token was sent; a bad token is a 401."""
    raw = bearer_from_request()
    if raw is None:
        return None
    session = db_session()
    row = lookup_token(session, raw)
    if row is None:
        raise search_error(401, "AuthenticationFailed", "Token is not active (unknown, expired or revoked).")
    if row.resource_server != RESOURCE_SERVER:
        raise search_error(
            401,
            "AuthenticationFailed",
            f"Token is for resource server {row.resource_server!r}, not {RESOURCE_SERVER!r}.",
        )
    return context_for(session, row)


def required_caller() -> TokenContext:
    """The caller's token context; calls that change data need a token."""
    caller = optional_caller()
    if caller is None:
        raise search_error(401, "AuthenticationFailed", "This call requires a Bearer token.")
    return caller


def principals_of(caller: TokenContext | None) -> frozenset[str]:
    """The `visible_to` principals a caller matches (anonymous callers only see public data)."""
    if caller is None:
        return PUBLIC
    return frozenset(caller.principal_urns() | {"all_authenticated_users"})


def load_index(session: Session, index_id: str) -> SearchIndex:
    """The index, or a 404 in Search's words."""
    index = session.get(SearchIndex, index_id)
    if index is None or index.status == "deleted":
        raise search_error(404, "NotFound.NoSuchIndex", f"There is no index named {index_id}.")
    return index


def roles_of(session: Session, index_id: str, caller: TokenContext | None) -> set[str]:
    """Role names the caller holds on the index, directly or through a group."""
    if caller is None:
        return set()
    principals = principals_of(caller) - PUBLIC - {"all_authenticated_users"}
    rows = session.scalars(
        select(SearchIndexRole.role_name).where(
            SearchIndexRole.index_id == index_id, SearchIndexRole.principal.in_(principals)
        )
    ).all()
    return set(rows)


def has_role(session: Session, index_id: str, caller: TokenContext | None, least: str) -> bool:
    """True when the caller holds `least` or a stronger role on the index."""
    needed = ROLE_RANK[least]
    return any(ROLE_RANK.get(role, 0) >= needed for role in roles_of(session, index_id, caller))


def require_role(session: Session, index_id: str, caller: TokenContext, least: str) -> None:
    """Raise Search's 403 unless the caller holds `least` or a stronger role."""
    if not has_role(session, index_id, caller, least):
        raise search_error(
            403,
            "Forbidden.Generic",
            f"This operation requires the {least} role (or a stronger one) on index {index_id}.",
            error_data={
                "cause": f"You do not have the {least} role on this index.",
                "recommended_resolution": "Ask an administrator of the index to grant you a role.",
            },
        )
