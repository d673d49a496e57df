"""JSON documents in Transfer v0.10's shapes: endpoints, access rules, roles, bookmarks, results.

Field sets follow the real service (the SDK's `globus_sdk.testing` fixtures and recorded API
responses); values describe the emulated GCSv5 / GCP collections.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emulator.errors import new_request_id
from emulator.transfer.models import AclRule, Bookmark, Collection, RoleAssignment

GCS_VERSION = "5.4.80"


def timestamp(epoch: float | int | None) -> str | None:
    """Transfer's timestamp format: "YYYY-MM-DD HH:MM:SS+00:00" (UTC)."""
    if epoch is None:
        return None
    moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S+00:00")


def iso_timestamp(epoch: float | int | None) -> str | None:
    """ISO 8601 with a "T", the format Transfer uses for access-rule create times."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).isoformat()


def https_server_url(base_url: str, collection: Collection) -> str | None:
    """The collection's HTTPS server address under this emulator ("<base>/https/<id>")."""
    if collection.kind == "personal":
        return None  # Globus Connect Personal has no HTTPS access.
    return f"{base_url.rstrip('/')}/https/{collection.id}"


def endpoint_document(
    collection: Collection,
    *,
    base_url: str,
    roles: list[str],
    host: Collection | None = None,
    in_use: bool = False,
) -> dict[str, Any]:
    """The `endpoint` document Transfer returns for a collection, as seen by one caller."""
    kind = collection.kind
    is_gcp = kind == "personal"
    is_guest = kind in ("guest", "public")
    return {
        "DATA_TYPE": "endpoint",
        "id": collection.id,
        "display_name": collection.display_name,
        "canonical_name": f"{collection.owner_string}#{collection.slug}",
        "name": collection.slug,
        "entity_type": collection.entity_type,
        "owner_id": collection.owner_id,
        "owner_string": collection.owner_string,
        "username": collection.owner_string.split("@", 1)[0],
        "description": collection.description or None,
        "organization": collection.organization or None,
        "department": collection.department or None,
        "contact_email": collection.contact_email or None,
        "contact_info": None,
        "info_link": None,
        "keywords": collection.keywords or None,
        "user_message": None,
        "user_message_link": None,
        "public": collection.public,
        "french_english_bilingual": False,
        "is_globus_connect": is_gcp,
        "globus_connect_setup_key": None,
        "gcp_connected": True if is_gcp else None,
        "gcp_paused": False if is_gcp else None,
        "gcs_version": None if is_gcp else GCS_VERSION,
        "gcs_manager_url": None,
        "https_server": https_server_url(base_url, collection),
        "tlsftp_server": None,
        "s3_url": None,
        "s3_owner_activated": False,
        "host_endpoint": None,
        "host_endpoint_id": host.id if host is not None else None,
        "host_endpoint_display_name": host.display_name if host is not None else None,
        "host_path": None,
        "sharing_target_endpoint": None,
        "sharing_target_root_path": None,
        "storage_type": None,
        "disable_verify": False,
        "disable_anonymous_writes": False,
        "force_verify": False,
        "force_encryption": False,
        "mfa_required": False,
        "high_assurance": collection.high_assurance,
        "authentication_assurance_timeout": None,
        "authentication_timeout_mins": None,
        "myproxy_server": None,
        "myproxy_dn": None,
        "oauth_server": None,
        "default_directory": "/~/" if kind == "mapped" else "/",
        "activated": True,
        "expires_in": -1,
        "expire_time": None,
        "shareable": kind == "mapped",
        "acl_available": is_guest,
        "acl_editable": is_guest and ("administrator" in roles or "access_manager" in roles),
        "in_use": in_use,
        "is_go_storage": False,
        "local_user_info_available": kind == "mapped",
        "location": None,
        "network_use": "normal",
        "max_concurrency": 4,
        "max_parallelism": 8,
        "preferred_concurrency": 2,
        "preferred_parallelism": 4,
        "non_functional": False,
        "non_functional_endpoint_display_name": None,
        "non_functional_endpoint_id": None,
        "my_effective_roles": roles,
        "subscription_id": collection.subscription_id,
        "DATA": [],
    }


def access_document(rule: AclRule) -> dict[str, Any]:
    """One `access` (ACL rule) document."""
    return {
        "DATA_TYPE": "access",
        "id": rule.id,
        "role_id": None,
        "role_type": None,
        "principal_type": rule.principal_type,
        "principal": rule.principal,
        "path": rule.path,
        "permissions": rule.permissions,
        "notify_email": rule.notify_email,
        "create_time": iso_timestamp(rule.created_at),
        "expiration_date": rule.expiration_date,
    }


def role_document(role: RoleAssignment) -> dict[str, Any]:
    """One `role` document."""
    return {
        "DATA_TYPE": "role",
        "id": role.id,
        "principal_type": role.principal_type,
        "principal": role.principal,
        "role": role.role,
    }


def bookmark_document(bookmark: Bookmark) -> dict[str, Any]:
    """One `bookmark` document."""
    return {
        "DATA_TYPE": "bookmark",
        "id": bookmark.id,
        "name": bookmark.name,
        "endpoint_id": bookmark.collection_id,
        "path": bookmark.path,
        "pinned": bookmark.pinned,
    }


def result_document(code: str, message: str, resource: str, data_type: str = "result", **extra: Any) -> dict[str, Any]:
    """The small `result` document Transfer returns for successful changes."""
    body: dict[str, Any] = {
        "DATA_TYPE": data_type,
        "code": code,
        "message": message,
        "request_id": new_request_id(),
        "resource": resource,
    }
    body.update(extra)
    return body
