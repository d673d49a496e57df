"""JSON documents Search answers with: indices, tasks, results, roles, and GError errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from emulator.errors import GlobusError
from emulator.search.models import SearchEntry, SearchIndex, SearchIndexRole, SearchTask

VERSION = "2017-09-01"
RESULT_VERSION = "2019-08-27"


def search_error(status: int, code: str, message: str, error_data: Any = None) -> GlobusError:
    """A GError as Search sends it: code, message, status (and error_data when there is detail)."""
    extra: dict[str, Any] = {"@datatype": "GError", "@version": VERSION, "status": status}
    if error_data is not None:
        extra["error_data"] = error_data
    error = GlobusError(status, code, message)
    # `status` is also GlobusError's own argument name, so the body fields go in afterwards.
    error.extra.update(extra)
    return error


def bad_request(message: str, code: str = "BadRequest.Generic", error_data: Any = None) -> GlobusError:
    """A 400 GError."""
    return search_error(400, code, message, error_data)


def timestamp(epoch: int | None) -> str | None:
    """Search's date format: `YYYY-MM-DD HH:MM:SS` in UTC."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def index_document(
    index: SearchIndex, num_subjects: int, num_entries: int, permissions: list[str] | None = None
) -> dict[str, Any]:
    """A GSearchIndex document (index show / list / create)."""
    doc: dict[str, Any] = {
        "@datatype": "GSearchIndex",
        "@version": VERSION,
        "id": index.id,
        "display_name": index.display_name,
        "description": index.description,
        "creation_date": timestamp(index.created_at),
        "is_trial": bool(index.is_trial),
        "subscription_id": None,
        "max_size_in_mb": index.max_size_in_mb,
        # Sizes are whole megabytes in Globus; a small local index rounds to 0.
        "size_in_mb": 0,
        "num_subjects": num_subjects,
        "num_entries": num_entries,
        "status": index.status,
    }
    if permissions is not None:
        doc["permissions"] = permissions
    return doc


def task_document(task: SearchTask) -> dict[str, Any]:
    """A task document (GET /v1/task/<id>, task list)."""
    return {
        "@datatype": "GTask",
        "@version": VERSION,
        "task_id": task.task_id,
        "index_id": task.index_id,
        "task_type": task.task_type,
        "state": task.state,
        "state_description": task.state_description,
        "message": task.message,
        "creation_date": timestamp(task.creation_date),
        "completion_date": timestamp(task.completion_date),
        "additional_details": json.loads(task.additional_details_json or "{}"),
    }


def role_document(role: SearchIndexRole) -> dict[str, Any]:
    """A role document (role list / create)."""
    return {
        "id": role.id,
        "index_id": role.index_id,
        "principal": role.principal,
        "principal_type": "group" if role.principal.startswith("urn:globus:groups:id:") else "identity",
        "role_name": role.role_name,
        "creation_date": timestamp(role.created_at),
    }


def entry_document(entry: SearchEntry) -> dict[str, Any]:
    """One entry of a GMetaResult."""
    return {
        "content": json.loads(entry.content_json),
        "entry_id": entry.entry_id or None,
        "matched_principal_sets": [],
    }


def gmeta_result(subject: str, entries: list[SearchEntry]) -> dict[str, Any]:
    """A GMetaResult: one subject and its entries visible to the caller."""
    return {
        "@datatype": "GMetaResult",
        "@version": RESULT_VERSION,
        "subject": subject,
        "entries": [entry_document(e) for e in sorted(entries, key=lambda e: e.entry_id)],
    }
