"""Search v1 index management: show, list, create, update, delete, reopen, and roles."""

from __future__ import annotations

import uuid

from flask import jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emulator.db import db_session, write_lock
from emulator.search import bp
from emulator.search.access import (
    ROLE_RANK,
    load_index,
    optional_caller,
    require_role,
    required_caller,
    roles_of,
)
from emulator.search.documents import bad_request, index_document, role_document, search_error
from emulator.search.models import SearchEntry, SearchIndex, SearchIndexRole
from emulator.search.query_views import json_body
from emulator.search.writes import PRINCIPAL_PATTERN

MAX_NAME = 255


def _counts(session: Session, index_id: str) -> tuple[int, int]:
    subjects, entries = session.execute(
        select(func.count(func.distinct(SearchEntry.subject)), func.count(SearchEntry.id)).where(
            SearchEntry.index_id == index_id
        )
    ).one()
    return subjects or 0, entries or 0


def _document(session: Session, index: SearchIndex, permissions: list[str] | None = None) -> dict:
    return index_document(index, *_counts(session, index.id), permissions=permissions)


def _text_field(body: dict, key: str, required: bool) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if (
        not isinstance(value, str)
        or (required and not value.strip())
        or len(value) > (MAX_NAME if key == "display_name" else 10000)
    ):
        raise bad_request(f"{key}: a non-empty string is required", code="BadRequest.ValidationError")
    return value


@bp.get("/v1/index/<index_id>")
def index_get(index_id: str):
    """Describe an index (anyone may look)."""
    session = db_session()
    return jsonify(_document(session, load_index(session, index_id)))


@bp.get("/v1/index_list")
def index_list_get():
    """Indices on which the caller holds a role, with those roles as `permissions`."""
    caller = optional_caller()
    session = db_session()
    wanted = {r.strip() for r in request.args.get("filter_roles", "").split(",") if r.strip()}
    if wanted - set(ROLE_RANK):
        raise bad_request("filter_roles: use owner, admin and/or writer", code="BadRequest.ValidationError")
    documents = []
    if caller is not None:
        for index in session.scalars(
            select(SearchIndex).where(SearchIndex.status != "deleted").order_by(SearchIndex.display_name)
        ):
            roles = sorted(roles_of(session, index.id, caller), key=lambda r: -ROLE_RANK[r])
            if roles and (not wanted or wanted & set(roles)):
                documents.append(_document(session, index, roles))
    return jsonify({"index_list": documents})


@bp.post("/v1/index")
def index_create():
    """Create a (trial) index owned by the caller."""
    caller = required_caller()
    body = json_body()
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object with display_name and description.")
    session = db_session()
    with write_lock:
        index = SearchIndex(
            id=str(uuid.uuid4()),
            display_name=_text_field(body, "display_name", True),
            description=_text_field(body, "description", True),
            is_trial=1,
        )
        session.add(index)
        session.flush()
        session.add(
            SearchIndexRole(
                id=str(uuid.uuid4()),
                index_id=index.id,
                principal=f"urn:globus:auth:identity:{caller.identity_id}",
                role_name="owner",
            )
        )
        session.commit()
    return jsonify(_document(session, index))


@bp.patch("/v1/index/<index_id>")
def index_update(index_id: str):
    """Change an index's display name or description (admins)."""
    caller = required_caller()
    session = db_session()
    index = load_index(session, index_id)
    require_role(session, index.id, caller, "admin")
    body = json_body()
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    with write_lock:
        for key in ("display_name", "description"):
            value = _text_field(body, key, False)
            if value is not None:
                setattr(index, key, value)
        session.commit()
    return jsonify(_document(session, index))


@bp.delete("/v1/index/<index_id>")
def index_delete(index_id: str):
    """Mark an index for deletion (owners); it can be reopened until it is gone."""
    return _move_index_status(index_id, required="open", new="delete_pending")


@bp.post("/v1/index/<index_id>/reopen")
def index_reopen(index_id: str):
    """Cancel a pending deletion (owners)."""
    return _move_index_status(index_id, required="delete_pending", new="open")


def _move_index_status(index_id: str, *, required: str, new: str):
    """Owners move an index from one status to another, as Search does for delete and reopen."""
    caller = required_caller()
    session = db_session()
    index = load_index(session, index_id)
    require_role(session, index.id, caller, "owner")
    if index.status != required:
        raise search_error(
            409,
            "Conflict.IncompatibleIndexStatus",
            f"Index status ({index.status}) did not match required status for this operation: {required}",
        )
    with write_lock:
        index.status = new
        session.commit()
    return jsonify({"index_id": index.id, "acknowledged": True})


@bp.get("/v1/index/<index_id>/role_list")
def role_list(index_id: str):
    """Every role on the index (admins)."""
    caller = required_caller()
    session = db_session()
    index = load_index(session, index_id)
    require_role(session, index.id, caller, "admin")
    roles = session.scalars(
        select(SearchIndexRole)
        .where(SearchIndexRole.index_id == index.id)
        .order_by(SearchIndexRole.created_at, SearchIndexRole.id)
    )
    return jsonify({"role_list": [role_document(r) for r in roles]})


@bp.post("/v1/index/<index_id>/role")
def role_create(index_id: str):
    """Grant a role (admins; only owners grant owner)."""
    caller = required_caller()
    session = db_session()
    index = load_index(session, index_id)
    require_role(session, index.id, caller, "admin")
    body = json_body()
    role_name = body.get("role_name") if isinstance(body, dict) else None
    principal = body.get("principal") if isinstance(body, dict) else None
    if role_name not in ROLE_RANK:
        raise bad_request("role_name: must be owner, admin or writer", code="BadRequest.ValidationError")
    if not isinstance(principal, str) or not principal.startswith("urn:") or not PRINCIPAL_PATTERN.match(principal):
        raise bad_request("principal: an identity or group URN is required", code="BadRequest.ValidationError")
    if role_name == "owner":
        require_role(session, index.id, caller, "owner")
    existing = session.scalar(
        select(SearchIndexRole).where(
            SearchIndexRole.index_id == index.id,
            SearchIndexRole.principal == principal,
            SearchIndexRole.role_name == role_name,
        )
    )
    if existing is not None:
        raise search_error(409, "Conflict.RoleAlreadyExists", f"{principal} already has role {role_name}.")
    with write_lock:
        role = SearchIndexRole(id=str(uuid.uuid4()), index_id=index.id, principal=principal, role_name=role_name)
        session.add(role)
        session.commit()
    return jsonify(role_document(role))


@bp.delete("/v1/index/<index_id>/role/<role_id>")
def role_delete(index_id: str, role_id: str):
    """Remove a role (admins); the last owner stays."""
    caller = required_caller()
    session = db_session()
    index = load_index(session, index_id)
    require_role(session, index.id, caller, "admin")
    role = session.get(SearchIndexRole, role_id)
    if role is None or role.index_id != index.id:
        raise search_error(404, "NotFound.Generic", f"No role {role_id} on index {index.id}.")
    if role.role_name == "owner":
        owners = session.scalar(
            select(func.count()).where(SearchIndexRole.index_id == index.id, SearchIndexRole.role_name == "owner")
        )
        if (owners or 0) <= 1:
            raise search_error(409, "Conflict.LastOwner", "The last owner of an index cannot be removed.")
    with write_lock:
        document = role_document(role)
        session.delete(role)
        session.commit()
    return jsonify({"deleted": True, "success": True, "role": document})
