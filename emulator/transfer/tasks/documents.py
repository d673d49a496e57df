"""Task-side JSON documents in Transfer v0.10's shapes: task, event, successful_transfer, skipped_error.

Field sets follow the SDK's `globus_sdk.testing` fixtures (task_list, endpoint_manager_task_list,
submit_transfer, ...) and the Transfer API's documented task/event/per-file documents.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.transfer.models import Collection
from emulator.transfer.tasks.models import (
    COUNTER_FIELDS,
    Task,
    TaskEvent,
    TaskFileResult,
)


def task_time(epoch: float | None) -> str | None:
    """Task timestamps as the task documents print them: "YYYY-MM-DDTHH:MM:SS+00:00" (UTC)."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).isoformat()


def legacy_username(identity_id: str) -> str:
    """The deprecated `username` field: "u_" + base32 of the identity UUID, as Transfer derives it."""
    try:
        raw = uuid.UUID(identity_id).bytes
    except ValueError:
        return identity_id
    return "u_" + base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def collections_by_id(session: Session, tasks: Iterable[Task]) -> dict[str, Collection]:
    """Every collection (and host collection) the tasks touch, fetched in one query each."""
    ids = set()
    for task in tasks:
        ids.add(task.source_endpoint_id)
        if task.destination_endpoint_id:
            ids.add(task.destination_endpoint_id)
    found = {c.id: c for c in session.scalars(select(Collection).where(Collection.id.in_(ids)))} if ids else {}
    hosts = {c.host_collection_id for c in found.values() if c.host_collection_id} - set(found)
    if hosts:
        found.update({c.id: c for c in session.scalars(select(Collection).where(Collection.id.in_(hosts)))})
    return found


def effective_rate(task: Task) -> int:
    """Bytes per second over the time the task actually spent moving data."""
    if task.active_seconds <= 0:
        return 0
    return int(task.bytes_transferred / task.active_seconds)


def _nice_status_expires_in(task: Task) -> int | None:
    if task.is_done:
        return None
    return -1 if task.nice_status in ("OK", "Queued") else 0


def task_document(task: Task, collections: dict[str, Collection]) -> dict[str, Any]:
    """The `task` document of GET /task/<id> and task_list entries."""
    source = collections.get(task.source_endpoint_id)
    destination = collections.get(task.destination_endpoint_id or "")
    done = task.is_done
    doc: dict[str, Any] = {
        "DATA_TYPE": "task",
        "task_id": task.id,
        "type": task.type,
        "status": task.status,
        "label": task.label,
        "owner_id": task.owner_id,
        "owner_string": task.owner_string,
        "username": legacy_username(task.owner_id),
        "command": "API 0.10",
        "request_time": task_time(task.request_time),
        "completion_time": task_time(task.completion_time),
        "deadline": task_time(task.deadline),
        "source_endpoint": task.source_endpoint_id,
        "source_endpoint_id": task.source_endpoint_id,
        "source_endpoint_display_name": source.display_name if source else None,
        "destination_endpoint": task.destination_endpoint_id,
        "destination_endpoint_id": task.destination_endpoint_id,
        "destination_endpoint_display_name": destination.display_name if destination else None,
        "source_local_user": task.source_local_user,
        "destination_local_user": task.destination_local_user,
        "source_base_path": None,
        "destination_base_path": None,
        "sync_level": task.sync_level,
        "verify_checksum": task.verify_checksum,
        "preserve_timestamp": task.preserve_timestamp,
        "encrypt_data": task.encrypt_data,
        "delete_destination_extra": task.delete_destination_extra,
        "skip_source_errors": task.skip_source_errors,
        "fail_on_quota_errors": task.fail_on_quota_errors,
        "recursive_symlinks": task.recursive_symlinks,
        "filter_rules": task.filter_rules,
        "effective_bytes_per_second": effective_rate(task),
        "fatal_error": (
            {"code": task.fatal_error_code, "description": task.fatal_error_description}
            if task.fatal_error_code
            else None
        ),
        "history_deleted": False,
        "is_ok": None if done else task.nice_status in ("OK", "Queued"),
        "is_paused": False if done else task.is_paused,
        "nice_status": None if done else task.nice_status,
        "nice_status_details": None if done else task.nice_status_details,
        "nice_status_expires_in": _nice_status_expires_in(task),
        "nice_status_short_description": None if done else task.nice_status_short_description,
        "canceled_by_admin": task.canceled_by_admin,
        "canceled_by_admin_message": task.canceled_by_admin_message,
    }
    for name in COUNTER_FIELDS:
        doc[name] = getattr(task, name)
    doc.update(task.extra_options)
    return doc


def _host_fields(prefix: str, collection: Collection | None, collections: dict[str, Collection]) -> dict[str, Any]:
    host = collections.get(collection.host_collection_id or "") if collection else None
    host_path = None
    if host is not None and collection is not None:
        relative = os.path.relpath(collection.root_path, host.root_path)
        # Only meaningful when the guest's folder lies inside its host's storage.
        if not relative.startswith(".."):
            host_path = "/" if relative == "." else "/" + relative.strip("/") + "/"
    return {
        f"{prefix}_host_endpoint": host.id if host else None,
        f"{prefix}_host_endpoint_id": host.id if host else None,
        f"{prefix}_host_endpoint_display_name": host.display_name if host else None,
        f"{prefix}_mapped_collection_id": host.id if host else None,
        f"{prefix}_mapped_collection_display_name": host.display_name if host else None,
        f"{prefix}_host_path": host_path,
    }


def manager_task_document(task: Task, collections: dict[str, Collection]) -> dict[str, Any]:
    """The endpoint-manager view of a task: the task document plus host and local-user fields."""
    doc = task_document(task, collections)
    doc.update(_host_fields("source", collections.get(task.source_endpoint_id), collections))
    doc.update(_host_fields("destination", collections.get(task.destination_endpoint_id or ""), collections))
    doc["source_local_user_status"] = "OK" if task.source_local_user else "NO_PERMISSION"
    doc["destination_local_user_status"] = "OK" if task.destination_local_user else "NO_PERMISSION"
    return doc


def event_document(event: TaskEvent) -> dict[str, Any]:
    """One `event` of a task's event list."""
    return {
        "DATA_TYPE": "event",
        "code": event.code,
        "is_error": event.is_error,
        "description": event.description,
        "details": event.details,
        "time": task_time(event.time),
    }


def successful_transfer_document(row: TaskFileResult) -> dict[str, Any]:
    """One `successful_transfer` entry."""
    return {
        "DATA_TYPE": "successful_transfer",
        "source_path": row.source_path,
        "destination_path": row.destination_path,
        "size": row.size,
        "checksum": row.checksum,
        "checksum_algorithm": row.checksum_algorithm,
        "dynamic": False,
    }


def skipped_error_document(row: TaskFileResult) -> dict[str, Any]:
    """One `skipped_error` entry (a path skipped under skip_source_errors)."""
    return {
        "DATA_TYPE": "skipped_error",
        "source_path": row.source_path,
        "destination_path": row.destination_path,
        "error_code": row.error_code,
        "error_details": row.error_details,
        "error_time": task_time(row.error_time),
        "is_directory": row.is_directory,
        "is_symlink": row.is_symlink,
        "is_delete_destination_extra": row.is_delete_destination_extra,
        "external_checksum": row.external_checksum,
        "checksum_algorithm": row.checksum_algorithm,
    }


def submission_result(task: Task, code: str, request_id: str) -> dict[str, Any]:
    """The `transfer_result` / `delete_result` returned by POST /transfer and POST /delete."""
    kind = "transfer" if task.type == "TRANSFER" else "delete"
    if code == "Accepted":
        message = f"The {kind} has been accepted and a task has been created and queued for execution"
    else:
        message = f"A {kind} with submission id {task.submission_id} was already accepted as task {task.id}"
    return {
        "DATA_TYPE": f"{kind}_result",
        "code": code,
        "message": message,
        "request_id": request_id,
        "resource": f"/v0.10/{kind}",
        "submission_id": task.submission_id,
        "task_id": task.id,
        "task_link": {
            "DATA_TYPE": "link",
            "href": f"/v0.10/task/{task.id}?format=json",
            "rel": "related",
            "resource": "task",
            "title": "related task",
        },
    }
