"""Who may do what on a collection: the permission API shared by Transfer views, tasks and HTTPS.

Every file operation goes through `require_access`, which applies the rules Globus applies:
availability, path confinement, data_access consent and identity mapping on mapped collections,
ACL rules on guest collections, ownership on personal ones, anonymous read on public ones.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext
from emulator.db import write_lock
from emulator.errors import GlobusError
from emulator.transfer.errors import endpoint_not_found
from emulator.transfer.models import (
    AclRule,
    Collection,
    MappedIdentity,
    RecentUse,
    RoleAssignment,
)
from emulator.transfer.storage.paths import CollectionPath, fs_path, parse_path

TRANSFER_ALL_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"
GUEST_KINDS = ("guest", "public")
READ, WRITE = "r", "rw"


def get_collection(session: Session, collection_id: str) -> Collection:
    """The collection with this id, or a 404 `EndpointNotFound`."""
    try:
        key = str(uuid.UUID(str(collection_id)))
    except ValueError:
        raise endpoint_not_found(str(collection_id)) from None
    collection = session.get(Collection, key)
    if collection is None:
        raise endpoint_not_found(key)
    return collection


def ensure_available(collection: Collection, session: Session | None = None) -> None:
    """Raise a 503 `EndpointError` while the collection (or a guest's host) is made unavailable."""
    targets = [collection]
    if session is not None and collection.host_collection_id:
        host = session.get(Collection, collection.host_collection_id)
        if host is not None:
            targets.append(host)
    for target in targets:
        if not target.available:
            raise GlobusError(
                503,
                "EndpointError",
                f"Endpoint {target.display_name} ({target.id}) is not available: the server "
                "did not respond. Try again later.",
            )


# The control API's outage switch lives beside the check it drives; no Globus token reaches it.
def set_availability(session: Session, collection_id_: str, available: bool) -> dict:
    """Make a collection (un)available: while unavailable, operations on it answer 503 EndpointError."""
    collection = get_collection(session, collection_id_)
    with write_lock:
        collection.available = bool(available)
        session.commit()
    return {"id": collection.id, "display_name": collection.display_name, "available": collection.available}


def resolve_path(collection: Collection, path: str) -> Path:
    """The absolute file for a collection path; escapes and bad paths raise a Globus 400/403."""
    return fs_path(collection.root_path, parse_path(path))


def data_access_scope_string(collection: Collection) -> str:
    """The full Transfer scope (with dependent data_access) a mapped collection asks consent for."""
    return f"{TRANSFER_ALL_SCOPE}[*{collection.data_access_scope}]"


def consent_required(collection: Collection) -> GlobusError:
    """A 403 `ConsentRequired` that both the SDK's error info and `globus_sdk.gare` recognise."""
    message = f"Missing required data_access consent for collection {collection.display_name} ({collection.id})."
    scopes = [data_access_scope_string(collection)]
    return GlobusError(
        403,
        "ConsentRequired",
        message,
        required_scopes=scopes,
        authorization_parameters={"required_scopes": scopes, "session_message": message},
    )


def _principal_sets(ctx: TokenContext | None) -> tuple[set[str], set[str]]:
    if ctx is None:
        return set(), set()
    identities = set(ctx.identity_ids) | {ctx.identity_id}
    return identities, set(ctx.group_ids)


def is_owner(ctx: TokenContext | None, collection: Collection) -> bool:
    """True when one of the caller's linked identities owns the collection."""
    identities, _ = _principal_sets(ctx)
    return collection.owner_id in identities


def effective_roles(session: Session, ctx: TokenContext | None, collection: Collection) -> list[str]:
    """The roles the caller holds on the collection, directly or through a group (owner = admin)."""
    identities, groups = _principal_sets(ctx)
    if ctx is None:
        return []
    rows = session.scalars(select(RoleAssignment).where(RoleAssignment.collection_id == collection.id)).all()
    roles = {
        row.role
        for row in rows
        if (row.principal_type == "identity" and row.principal in identities)
        or (row.principal_type == "group" and row.principal in groups)
    }
    if is_owner(ctx, collection):
        roles.add("administrator")
    return sorted(roles)


def can_administer(session: Session, ctx: TokenContext | None, collection: Collection) -> bool:
    """True for the owner and anyone holding the administrator role."""
    return "administrator" in effective_roles(session, ctx, collection)


def can_manage_acl(session: Session, ctx: TokenContext | None, collection: Collection) -> bool:
    """True when the caller may list and change ACL rules (guest collections only)."""
    if collection.kind not in GUEST_KINDS:
        return False
    roles = effective_roles(session, ctx, collection)
    return "administrator" in roles or "access_manager" in roles


def rule_applies(rule: AclRule, ctx: TokenContext | None) -> bool:
    """True when an ACL rule names the caller (directly, through a group, or everyone)."""
    identities, groups = _principal_sets(ctx)
    if rule.principal_type == "anonymous":
        return True
    if ctx is None:
        return False
    if rule.principal_type == "all_authenticated_users":
        return True
    if rule.principal_type == "identity":
        return rule.principal in identities
    if rule.principal_type == "group":
        return rule.principal in groups
    return False


def acl_permissions(session: Session, ctx: TokenContext | None, collection: Collection, cpath: CollectionPath) -> str:
    """The best permission ("", "r" or "rw") the ACL rules give the caller at this path."""
    best = ""
    rules = session.scalars(select(AclRule).where(AclRule.collection_id == collection.id)).all()
    for rule in rules:
        if rule_applies(rule, ctx) and cpath.is_within(rule.path):
            if rule.permissions == WRITE:
                return WRITE
            best = READ
    return best


def is_mapped_identity(session: Session, ctx: TokenContext | None, collection: Collection) -> bool:
    """True when one of the caller's identities maps to a local account on a mapped collection."""
    identities, _ = _principal_sets(ctx)
    if not identities:
        return False
    row = session.scalar(
        select(MappedIdentity).where(
            MappedIdentity.collection_id == collection.id, MappedIdentity.identity_id.in_(identities)
        )
    )
    return row is not None


def _who(ctx: TokenContext | None) -> str:
    if ctx is None:
        return "anonymous"
    return ctx.username or ctx.identity_id


def _denied(ctx: TokenContext | None, collection: Collection, cpath: CollectionPath, mode: str) -> GlobusError:
    action = "write" if mode != READ else "read"
    return GlobusError(
        403,
        "EndpointPermissionDenied",
        f"Denied by endpoint: {_who(ctx)} may not {action} '{cpath.display()}' on "
        f"{collection.display_name} ({collection.id}).",
    )


def allowed_mode(
    session: Session, ctx: TokenContext | None, collection: Collection, cpath: CollectionPath, *, via: str = "transfer"
) -> str:
    """The permission ("", "r" or "rw") the caller has at a path, raising ConsentRequired if due."""
    kind = collection.kind
    if kind == "mapped":
        if ctx is None:
            return ""
        if (
            via == "transfer"
            and collection.requires_data_access
            and not ctx.has_dependent_scope(collection.data_access_scope)
        ):
            raise consent_required(collection)
        return WRITE if is_mapped_identity(session, ctx, collection) else ""
    if kind == "personal":
        return WRITE if is_owner(ctx, collection) else ""
    roles = effective_roles(session, ctx, collection)
    if "administrator" in roles or "access_manager" in roles:
        return WRITE
    granted = acl_permissions(session, ctx, collection, cpath)
    if kind == "public" and not granted:
        granted = READ
    return granted


def require_access(
    session: Session,
    ctx: TokenContext | None,
    collection: Collection,
    path: str | CollectionPath,
    mode: str,
    *,
    via: str = "transfer",
    follow_final: bool = True,
) -> Path:
    """Check the caller may use `path` with `mode` ("r" or "rw"/"w") and return the file on disk."""
    ensure_available(collection, session)
    cpath = path if isinstance(path, CollectionPath) else parse_path(path)
    target = fs_path(collection.root_path, cpath, follow_final=follow_final)
    wanted = READ if mode == READ else WRITE
    granted = allowed_mode(session, ctx, collection, cpath, via=via)
    if granted == WRITE or (granted == READ and wanted == READ):
        return target
    raise _denied(ctx, collection, cpath, wanted)


def note_use(session: Session, ctx: TokenContext | None, collections: Iterable[Collection]) -> None:
    """Remember that the caller used these collections (feeds the "recently-used" search)."""
    if ctx is None:
        return
    with write_lock:
        for collection in collections:
            row = session.get(RecentUse, (ctx.identity_id, collection.id))
            if row is None:
                session.add(
                    RecentUse(identity_id=ctx.identity_id, collection_id=collection.id, last_used_at=time.time())
                )
            else:
                row.last_used_at = time.time()
        session.commit()
