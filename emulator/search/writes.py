"""Changing an index: ingest documents and delete subjects, entries or query matches, as tasks.

Globus runs writes as asynchronous tasks; here the work is done before the response (under the
emulator's write lock) and the task is recorded already finished, so `get_task` answers at once.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.db import write_lock
from emulator.search.documents import bad_request
from emulator.search.engine import match_conditions
from emulator.search.indexing import NewEntry, delete_entries, upsert_entries
from emulator.search.models import SearchEntry, SearchTask, now
from emulator.search.search_request import SearchRequest

MAX_ENTRIES_PER_INGEST = 10000
MAX_SUBJECT_LENGTH = 2048
ENTRY_KEYS = {"@datatype", "@version", "subject", "visible_to", "content", "id", "principal_sets"}
PRINCIPAL_PATTERN = re.compile(
    r"^(public|all_authenticated_users|urn:globus:(auth:identity|groups:id):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def _invalid(path: str, message: str) -> Exception:
    return bad_request(f"{path}: {message}", code="BadRequest.ValidationError", error_data={"path": path})


def _subject(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_SUBJECT_LENGTH:
        raise _invalid(path, f"a non-empty string of at most {MAX_SUBJECT_LENGTH} characters is required")
    return value


def _entry(doc: Any, path: str) -> NewEntry:
    if not isinstance(doc, dict):
        raise _invalid(path, "a GMetaEntry must be an object")
    unknown = sorted(set(doc) - ENTRY_KEYS)
    if unknown:
        raise _invalid(path, f'unknown field(s) {", ".join(unknown)} (the entry id field is "id")')
    visible = doc.get("visible_to")
    if not isinstance(visible, list) or not visible:
        raise _invalid(f"{path}.visible_to", "a non-empty list of principals is required")
    for i, principal in enumerate(visible):
        if not isinstance(principal, str) or not PRINCIPAL_PATTERN.match(principal):
            raise _invalid(
                f"{path}.visible_to[{i}]",
                'must be "public", "all_authenticated_users", urn:globus:auth:identity:<id> or urn:globus:groups:id:<id>',
            )
    content = doc.get("content")
    if not isinstance(content, dict):
        raise _invalid(f"{path}.content", "a JSON object is required")
    entry_id = doc.get("id")
    if entry_id is not None and (not isinstance(entry_id, str) or not entry_id or len(entry_id) > 1024):
        raise _invalid(f"{path}.id", "must be null or a non-empty string")
    return NewEntry(_subject(doc.get("subject"), f"{path}.subject"), entry_id, content, list(visible))


def parse_ingest(body: Any) -> list[NewEntry]:
    """The entries of a GIngest document (GMetaEntry or GMetaList), or a 400 saying what is wrong."""
    if not isinstance(body, dict):
        raise bad_request("The ingest body must be a JSON object (a GIngest document).")
    kind = body.get("ingest_type")
    data = body.get("ingest_data")
    if kind not in ("GMetaEntry", "GMetaList"):
        raise _invalid("ingest_type", 'must be "GMetaEntry" or "GMetaList"')
    if not isinstance(data, dict):
        raise _invalid("ingest_data", "a JSON object is required")
    if kind == "GMetaEntry":
        return [_entry(data, "ingest_data")]
    gmeta = data.get("gmeta")
    if not isinstance(gmeta, list) or not gmeta:
        raise _invalid("ingest_data.gmeta", "a non-empty list of GMetaEntry documents is required")
    if len(gmeta) > MAX_ENTRIES_PER_INGEST:
        raise _invalid("ingest_data.gmeta", f"at most {MAX_ENTRIES_PER_INGEST} entries per ingest")
    return [_entry(doc, f"ingest_data.gmeta[{i}]") for i, doc in enumerate(gmeta)]


def _finished_task(
    session: Session, index_id: str, task_type: str, message: str, details: dict[str, Any]
) -> SearchTask:
    moment = now()
    task = SearchTask(
        task_id=str(uuid.uuid4()),
        index_id=index_id,
        task_type=task_type,
        state="SUCCESS",
        state_description="Task succeeded",
        message=message,
        creation_date=moment,
        completion_date=moment,
        additional_details_json=json.dumps(details),
    )
    session.add(task)
    return task


def ingest(session: Session, index_id: str, entries: list[NewEntry]) -> SearchTask:
    """Write the entries (replacing same subject + id) and record the finished INGEST task."""
    with write_lock:
        upsert_entries(session, index_id, entries)
        task = _finished_task(
            session,
            index_id,
            "INGEST",
            f"Ingested {len(entries)} document(s).",
            {"num_documents_ingested": len(entries)},
        )
        session.commit()
    return task


def _delete(session: Session, index_id: str, entry_pks: list[int], task_type: str, what: str) -> SearchTask:
    with write_lock:
        removed = delete_entries(session, entry_pks)
        task = _finished_task(
            session,
            index_id,
            task_type,
            f"Deleted {removed} entr{'y' if removed == 1 else 'ies'} ({what}).",
            {"num_entries_deleted": removed},
        )
        session.commit()
    return task


def delete_subjects(session: Session, index_id: str, subjects: list[str], task_type: str) -> SearchTask:
    """Delete every entry of the subjects, visible to the caller or not (writers' power)."""
    pks = list(
        session.scalars(
            select(SearchEntry.id).where(SearchEntry.index_id == index_id, SearchEntry.subject.in_(subjects))
        )
    )
    return _delete(session, index_id, pks, task_type, f"{len(subjects)} subject(s)")


def delete_entry(session: Session, index_id: str, subject: str, entry_id: str | None) -> SearchTask | None:
    """Delete one entry; None when it does not exist."""
    pk = session.scalar(
        select(SearchEntry.id).where(
            SearchEntry.index_id == index_id, SearchEntry.subject == subject, SearchEntry.entry_id == (entry_id or "")
        )
    )
    if pk is None:
        return None
    return _delete(session, index_id, [pk], "DELETE_ENTRY", "one entry")


def delete_by_query(session: Session, index_id: str, request: SearchRequest) -> SearchTask:
    """Delete every entry matching the query and filters, whoever may see it."""
    pks = list(session.scalars(select(SearchEntry.id).where(*match_conditions(index_id, request, None))))
    return _delete(session, index_id, pks, "DELETE_BY_QUERY", "by query")
