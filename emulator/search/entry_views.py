"""Search v1 writes and reads by key: ingest, subjects, entries, delete by query, tasks."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from emulator.db import db_session
from emulator.search import bp
from emulator.search.access import load_index, optional_caller, principals_of, require_role, required_caller
from emulator.search.documents import bad_request, gmeta_result, search_error, task_document
from emulator.search.engine import visible_to
from emulator.search.models import SearchEntry, SearchTask
from emulator.search.query_views import json_body
from emulator.search.search_request import from_body
from emulator.search.writes import delete_by_query, delete_entry, delete_subjects, ingest, parse_ingest

MAX_BATCH_SUBJECTS = 1000


def _writable_index(index_id: str):  # noqa: ANN202 - (session, index)
    caller = required_caller()
    session = db_session()
    index = load_index(session, index_id)
    require_role(session, index.id, caller, "writer")
    return session, index


def _subject_param() -> str:
    subject = request.args.get("subject")
    if not subject:
        raise bad_request("The subject query parameter is required.", code="BadRequest.ValidationError")
    return subject


@bp.post("/v1/index/<index_id>/ingest")
def ingest_post(index_id: str):
    """Ingest a GMetaEntry or GMetaList (writers only)."""
    session, index = _writable_index(index_id)
    entries = parse_ingest(json_body())
    task = ingest(session, index.id, entries)
    return jsonify(
        {"acknowledged": True, "task_id": task.task_id, "success": True, "num_documents_ingested": len(entries)}
    )


@bp.get("/v1/index/<index_id>/subject")
def subject_get(index_id: str):
    """Every entry of a subject that the caller may see."""
    session = db_session()
    index = load_index(session, index_id)
    subject = _subject_param()
    entries = list(
        session.scalars(
            select(SearchEntry).where(
                SearchEntry.index_id == index.id,
                SearchEntry.subject == subject,
                visible_to(principals_of(optional_caller())),
            )
        )
    )
    if not entries:
        raise search_error(404, "NotFound.Generic", f"No subject {subject!r} visible to you in index {index.id}.")
    return jsonify(gmeta_result(subject, entries))


@bp.delete("/v1/index/<index_id>/subject")
def subject_delete(index_id: str):
    """Delete a subject and all its entries (writers only)."""
    session, index = _writable_index(index_id)
    task = delete_subjects(session, index.id, [_subject_param()], "DELETE_BY_SUBJECT")
    return jsonify({"acknowledged": True, "task_id": task.task_id})


@bp.post("/v1/index/<index_id>/batch_delete_by_subject")
def batch_delete_post(index_id: str):
    """Delete several subjects at once (writers only)."""
    session, index = _writable_index(index_id)
    body = json_body()
    subjects = body.get("subjects") if isinstance(body, dict) else None
    if not isinstance(subjects, list) or not subjects or not all(isinstance(s, str) and s for s in subjects):
        raise bad_request(
            "subjects: a non-empty list of subject strings is required", code="BadRequest.ValidationError"
        )
    if len(subjects) > MAX_BATCH_SUBJECTS:
        raise bad_request(f"subjects: at most {MAX_BATCH_SUBJECTS} per call", code="BadRequest.ValidationError")
    task = delete_subjects(session, index.id, subjects, "DELETE_BY_SUBJECT")
    return jsonify({"task_id": task.task_id})


@bp.get("/v1/index/<index_id>/entry")
def entry_get(index_id: str):
    """One entry (subject + entry_id, null by default) if the caller may see it."""
    session = db_session()
    index = load_index(session, index_id)
    subject = _subject_param()
    entry_id = request.args.get("entry_id") or ""
    entry = session.scalar(
        select(SearchEntry).where(
            SearchEntry.index_id == index.id,
            SearchEntry.subject == subject,
            SearchEntry.entry_id == entry_id,
            visible_to(principals_of(optional_caller())),
        )
    )
    if entry is None:
        raise search_error(
            404, "NotFound.Generic", f"No entry {entry_id or None!r} of subject {subject!r} visible to you."
        )
    return jsonify(gmeta_result(subject, [entry]))


@bp.delete("/v1/index/<index_id>/entry")
def entry_delete(index_id: str):
    """Delete one entry (writers only)."""
    session, index = _writable_index(index_id)
    subject = _subject_param()
    task = delete_entry(session, index.id, subject, request.args.get("entry_id"))
    if task is None:
        raise search_error(404, "NotFound.Generic", f"No such entry of subject {subject!r}.")
    return jsonify({"acknowledged": True, "task_id": task.task_id})


@bp.post("/v1/index/<index_id>/delete_by_query")
def delete_by_query_post(index_id: str):
    """Delete every entry matching q and filters (writers only; no facets, sort or paging)."""
    session, index = _writable_index(index_id)
    body = json_body()
    if isinstance(body, dict) and {"facets", "sort", "boosts", "offset", "limit"} & body.keys():
        raise bad_request("delete_by_query takes only q, advanced and filters.", code="BadRequest.ValidationError")
    task = delete_by_query(session, index.id, from_body(body))
    return jsonify({"acknowledged": True, "task_id": task.task_id})


@bp.get("/v1/task/<task_id>")
def task_get(task_id: str):
    """A task of an index the caller can write to."""
    caller = required_caller()
    session = db_session()
    task = session.get(SearchTask, task_id)
    if task is None:
        raise search_error(404, "NotFound.Generic", f"No task {task_id}.")
    require_role(session, task.index_id, caller, "writer")
    return jsonify(task_document(task))


@bp.get("/v1/task_list/<index_id>")
def task_list_get(index_id: str):
    """The index's most recent tasks (writers only)."""
    session, index = _writable_index(index_id)
    tasks = session.scalars(
        select(SearchTask)
        .where(SearchTask.index_id == index.id)
        .order_by(SearchTask.creation_date.desc(), SearchTask.task_id)
        .limit(1000)
    )
    return jsonify({"tasks": [task_document(t) for t in tasks]})
