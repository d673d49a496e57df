"""Access rules and roles of a collection: /v0.10/endpoint/<id>/access..., /role..."""

from __future__ import annotations

import uuid

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext
from emulator.db import db_session, write_lock
from emulator.errors import GlobusError
from emulator.transfer.access import (
    can_administer,
    can_manage_acl,
    effective_roles,
    get_collection,
)
from emulator.transfer.documents import access_document, result_document, role_document
from emulator.transfer.errors import bad_request
from emulator.transfer.http import bp
from emulator.transfer.http.request_args import (
    json_object,
    resource_path,
    string_field,
    transfer_caller,
)
from emulator.transfer.models import (
    PRINCIPAL_TYPES,
    ROLE_NAMES,
    AclRule,
    Collection,
    RoleAssignment,
)
from emulator.transfer.storage.paths import parse_path

ACL_FIELDS = (
    "principal_type",
    "principal",
    "path",
    "permissions",
    "notify_email",
    "notify_message",
    "expiration_date",
    "role_id",
    "role_type",
    "id",
    "create_time",
)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _acl_collection(collection_id: str) -> tuple[TokenContext, Session, Collection]:
    """The caller, session and guest collection, once the caller is allowed to manage its ACL."""
    ctx = transfer_caller()
    session = db_session()
    collection = get_collection(session, collection_id)
    if collection.kind not in ("guest", "public"):
        raise GlobusError(
            409,
            "Conflict",
            f"{collection.display_name} is a {collection.entity_type}; access rules exist only on guest collections.",
        )
    if not can_manage_acl(session, ctx, collection):
        raise GlobusError(
            403,
            "PermissionDenied",
            f"Only an administrator or access manager of {collection.display_name} may manage its access rules.",
        )
    return ctx, session, collection


def _rule(session: Session, collection: Collection, rule_id: str) -> AclRule:
    rule = session.get(AclRule, rule_id)
    if rule is None or rule.collection_id != collection.id:
        raise GlobusError(404, "AccessRuleNotFound", f"Access rule '{rule_id}' not found on {collection.display_name}.")
    return rule


def _validated_permissions(value: object, principal_type: str) -> str:
    if value not in ("r", "rw"):
        raise bad_request("permissions must be 'r' or 'rw'.", "InvalidPermissions")
    if value == "rw" and principal_type == "anonymous":
        raise bad_request("Anonymous users may only be given read ('r') access.", "InvalidPermissions")
    return value


def _validated_rule_path(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/") or not value.endswith("/"):
        raise bad_request("path must be a directory path starting and ending with '/'.", "InvalidPath")
    if "/../" in value or "/./" in value or "//" in value:
        raise bad_request("path must be in canonical form (no '.', '..' or empty names).", "InvalidPath")
    return parse_path(value).as_directory


def _validated_principal(principal_type: object, principal: object) -> tuple[str, str]:
    if principal_type not in PRINCIPAL_TYPES:
        raise bad_request(f"principal_type must be one of {', '.join(PRINCIPAL_TYPES)}.", "InvalidPrincipalType")
    if principal_type in ("identity", "group"):
        if not isinstance(principal, str) or not _is_uuid(principal):
            raise bad_request(f"principal must be a {principal_type} id (UUID).", "InvalidPrincipal")
        return principal_type, str(uuid.UUID(principal))
    if principal not in (None, ""):
        raise bad_request(f"principal must be empty for principal_type {principal_type}.", "InvalidPrincipal")
    return principal_type, ""


@bp.get("/v0.10/endpoint/<collection_id>/access_list")
def endpoint_acl_list(collection_id: str):
    """Every access rule of a guest collection."""
    _, session, collection = _acl_collection(collection_id)
    rules = session.scalars(
        select(AclRule).where(AclRule.collection_id == collection.id).order_by(AclRule.created_at, AclRule.id)
    ).all()
    return jsonify(
        {"DATA_TYPE": "access_list", "endpoint": collection.id, "DATA": [access_document(rule) for rule in rules]}
    )


@bp.get("/v0.10/endpoint/<collection_id>/access/<rule_id>")
def get_endpoint_acl_rule(collection_id: str, rule_id: str):
    """One access rule."""
    _, session, collection = _acl_collection(collection_id)
    return jsonify(access_document(_rule(session, collection, rule_id)))


@bp.post("/v0.10/endpoint/<collection_id>/access")
def add_endpoint_acl_rule(collection_id: str):
    """Create an access rule; the same principal may hold only one rule per path."""
    ctx, session, collection = _acl_collection(collection_id)
    body = json_object("access", allowed=ACL_FIELDS, required=("principal_type", "path", "permissions"))
    principal_type, principal = _validated_principal(body.get("principal_type"), body.get("principal"))
    path = _validated_rule_path(body.get("path"))
    permissions = _validated_permissions(body.get("permissions"), principal_type)
    notify_email = body.get("notify_email")
    if notify_email is not None and (not isinstance(notify_email, str) or "@" not in notify_email):
        raise bad_request("notify_email must be an email address.", "InvalidEmail")
    with write_lock:
        duplicate = session.scalar(
            select(AclRule).where(
                AclRule.collection_id == collection.id,
                AclRule.principal_type == principal_type,
                AclRule.principal == principal,
                AclRule.path == path,
            )
        )
        if duplicate is not None:
            raise GlobusError(
                409,
                "Exists",
                f"A rule for this principal on '{path}' already exists ({duplicate.id}); update or delete it instead.",
            )
        rule = AclRule(
            collection_id=collection.id,
            principal_type=principal_type,
            principal=principal,
            path=path,
            permissions=permissions,
            notify_email=notify_email,
            created_by=ctx.identity_id,
        )
        session.add(rule)
        session.commit()
    body = result_document(
        "Created",
        "Access rule created successfully.",
        resource_path(),
        data_type="access_create_result",
        access_id=rule.id,
    )
    return jsonify(body), 201


@bp.put("/v0.10/endpoint/<collection_id>/access/<rule_id>")
def update_endpoint_acl_rule(collection_id: str, rule_id: str):
    """Change a rule's permissions (the other fields identify the rule and cannot change)."""
    _, session, collection = _acl_collection(collection_id)
    rule = _rule(session, collection, rule_id)
    body = json_object("access", allowed=ACL_FIELDS, required=("permissions",))
    for fixed in ("principal_type", "principal", "path"):
        if fixed in body and body[fixed] != getattr(rule, fixed):
            raise bad_request(f"{fixed} of an existing access rule cannot be changed.", "ReadOnlyField")
    permissions = _validated_permissions(body.get("permissions"), rule.principal_type)
    with write_lock:
        rule.permissions = permissions
        session.commit()
    return jsonify(
        result_document("Updated", f"Access rule '{rule.id}' permissions updated successfully", resource_path())
    )


@bp.delete("/v0.10/endpoint/<collection_id>/access/<rule_id>")
def delete_endpoint_acl_rule(collection_id: str, rule_id: str):
    """Delete a rule; access it granted ends immediately."""
    _, session, collection = _acl_collection(collection_id)
    rule = _rule(session, collection, rule_id)
    with write_lock:
        session.delete(rule)
        session.commit()
    return jsonify(result_document("Deleted", f"Access rule '{rule_id}' deleted successfully", resource_path()))


# ---- roles -------------------------------------------------------------------------------------


def _role_collection(collection_id: str, *, change: bool) -> tuple[TokenContext, Session, Collection]:
    ctx = transfer_caller()
    session = db_session()
    collection = get_collection(session, collection_id)
    allowed = can_administer(session, ctx, collection) if change else bool(effective_roles(session, ctx, collection))
    if not allowed:
        who = "an administrator" if change else "someone holding a role"
        raise GlobusError(403, "PermissionDenied", f"Only {who} on {collection.display_name} may do this.")
    return ctx, session, collection


def _role(session: Session, collection: Collection, role_id: str) -> RoleAssignment:
    role = session.get(RoleAssignment, role_id)
    if role is None or role.collection_id != collection.id:
        raise GlobusError(404, "RoleNotFound", f"Role '{role_id}' not found on {collection.display_name}.")
    return role


@bp.get("/v0.10/endpoint/<collection_id>/role_list")
def endpoint_role_list(collection_id: str):
    """Every role assignment on the collection."""
    _, session, collection = _role_collection(collection_id, change=False)
    roles = session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.collection_id == collection.id)
        .order_by(RoleAssignment.created_at, RoleAssignment.id)
    ).all()
    return jsonify({"DATA_TYPE": "role_list", "DATA": [role_document(role) for role in roles]})


@bp.get("/v0.10/endpoint/<collection_id>/role/<role_id>")
def get_endpoint_role(collection_id: str, role_id: str):
    """One role assignment."""
    _, session, collection = _role_collection(collection_id, change=False)
    return jsonify(role_document(_role(session, collection, role_id)))


@bp.post("/v0.10/endpoint/<collection_id>/role")
def add_endpoint_role(collection_id: str):
    """Grant a role to an identity or group (administrators only)."""
    _, session, collection = _role_collection(collection_id, change=True)
    body = json_object(
        "role", allowed=("principal_type", "principal", "role", "id"), required=("principal_type", "principal", "role")
    )
    if body["principal_type"] not in ("identity", "group"):
        raise bad_request("principal_type must be 'identity' or 'group'.", "InvalidPrincipalType")
    if not _is_uuid(body["principal"]):
        raise bad_request("principal must be an identity or group id (UUID).", "InvalidPrincipal")
    name = string_field(body, "role", max_length=32)
    if name not in ROLE_NAMES:
        raise bad_request(f"role must be one of {', '.join(ROLE_NAMES)}.", "InvalidRole")
    principal = str(uuid.UUID(body["principal"]))
    with write_lock:
        existing = session.scalar(
            select(RoleAssignment).where(
                RoleAssignment.collection_id == collection.id,
                RoleAssignment.principal_type == body["principal_type"],
                RoleAssignment.principal == principal,
                RoleAssignment.role == name,
            )
        )
        if existing is not None:
            raise GlobusError(409, "Exists", f"That principal already holds the {name} role ({existing.id}).")
        role = RoleAssignment(
            collection_id=collection.id, principal_type=body["principal_type"], principal=principal, role=name
        )
        session.add(role)
        session.commit()
    return jsonify(role_document(role)), 201


@bp.delete("/v0.10/endpoint/<collection_id>/role/<role_id>")
def delete_endpoint_role(collection_id: str, role_id: str):
    """Revoke a role assignment (administrators only)."""
    _, session, collection = _role_collection(collection_id, change=True)
    role = _role(session, collection, role_id)
    with write_lock:
        session.delete(role)
        session.commit()
    return jsonify(result_document("Deleted", f"Role '{role_id}' deleted successfully", resource_path()))
