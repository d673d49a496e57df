"""Transfer tasks: submission ids, submit transfer/delete, task list and documents, events, cancel."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from emulator.db import current_flask_app, db_session, write_lock
from emulator.errors import GlobusError, new_request_id
from emulator.transfer.documents import result_document
from emulator.transfer.errors import bad_request
from emulator.transfer.http import bp
from emulator.transfer.http.request_args import int_arg, resource_path, transfer_caller
from emulator.transfer.tasks.documents import (
    collections_by_id,
    event_document,
    skipped_error_document,
    submission_result,
    successful_transfer_document,
    task_document,
)
from emulator.transfer.tasks.lifecycle import (
    cancel_task,
    pause_info_document,
    update_task,
)
from emulator.transfer.tasks.models import SubmissionId, Task
from emulator.transfer.tasks.queries import (
    event_page,
    owned_task,
    page_of,
    parse_marker,
    results_page,
    task_list_filters,
    task_list_order,
)
from emulator.transfer.tasks.runner import wake_runner
from emulator.transfer.tasks.submission import (
    check_permissions,
    create_task,
    now,
    parse_delete,
    parse_transfer,
)
from emulator.transfer.tasks.submission_fields import parse_deadline, parse_label


@bp.get("/v0.10/submission_id")
def get_submission_id():
    """GET /submission_id: a fresh id that makes one submission safe to retry."""
    ctx = transfer_caller()
    session = db_session()
    with write_lock:
        row = SubmissionId(identity_id=ctx.identity_id)
        session.add(row)
        session.commit()
    return jsonify({"value": row.id})


def _json_body() -> dict:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "ClientError.BadRequest.InvalidJSON")
    return body


def _submit(kind: str):
    ctx = transfer_caller()
    body = _json_body()
    if body.get("DATA_TYPE") not in (None, kind):
        raise bad_request(f"DATA_TYPE must be '{kind}' for POST /{kind}.", "ClientError.BadRequest.InvalidDataType")
    session = db_session()
    submitted_at = now()
    submission = (parse_transfer if kind == "transfer" else parse_delete)(session, body, submitted_at)
    with write_lock:
        existing = session.scalar(select(Task).where(Task.submission_id == submission.submission_id))
        if existing is not None:
            if existing.owner_id not in (set(ctx.identity_ids) | {ctx.identity_id}):
                raise GlobusError(409, "ClientError.Conflict", "This submission id was already used by another user.")
            return jsonify(submission_result(existing, "Duplicate", new_request_id())), 200
        check_permissions(session, ctx, submission)
        task = create_task(session, ctx, submission, submitted_at)
        issued = session.get(SubmissionId, submission.submission_id)
        if issued is not None:
            issued.task_id = task.id
        session.commit()
    wake_runner(current_flask_app())
    return jsonify(submission_result(task, "Accepted", new_request_id())), 202


@bp.post("/v0.10/transfer")
def submit_transfer():
    """POST /transfer: validate a TransferData document and queue its task."""
    return _submit("transfer")


@bp.post("/v0.10/delete")
def submit_delete():
    """POST /delete: validate a DeleteData document and queue its task."""
    return _submit("delete")


@bp.get("/v0.10/task_list")
def task_list():
    """GET /task_list: the caller's tasks, filtered, ordered and paged by limit/offset."""
    ctx = transfer_caller()
    session = db_session()
    limit = int_arg("limit", 10, minimum=1, maximum=1000)
    offset = int_arg("offset", 0, minimum=0, maximum=1_000_000)
    owners = set(ctx.identity_ids) | {ctx.identity_id}
    query = select(Task).where(Task.owner_id.in_(owners), *task_list_filters(request.args.get("filter")))
    tasks, total = page_of(session, query.order_by(*task_list_order(request.args.get("orderby"))), limit, offset)
    collections = collections_by_id(session, tasks)
    return jsonify(
        {
            "DATA_TYPE": "task_list",
            "DATA": [task_document(task, collections) for task in tasks],
            "length": len(tasks),
            "limit": limit,
            "offset": offset,
            "total": total,
        }
    )


@bp.get("/v0.10/task/<task_id>")
def get_task(task_id: str):
    """GET /task/<id>: one of the caller's tasks."""
    ctx = transfer_caller()
    session = db_session()
    task = owned_task(session, ctx, task_id)
    return jsonify(task_document(task, collections_by_id(session, [task])))


@bp.put("/v0.10/task/<task_id>")
def put_task(task_id: str):
    """PUT /task/<id>: change the label and/or deadline of a running task."""
    ctx = transfer_caller()
    body = _json_body()
    unknown = sorted(set(body) - {"DATA_TYPE", "label", "deadline"})
    if unknown:
        raise bad_request(
            f"Only label and deadline can be updated; unknown field(s): {', '.join(unknown)}.",
            "ClientError.BadRequest.UnknownField",
        )
    if body.get("DATA_TYPE") not in (None, "task"):
        raise bad_request("DATA_TYPE must be 'task'.", "ClientError.BadRequest.InvalidDataType")
    label = parse_label(body.get("label"))
    deadline = parse_deadline(body["deadline"], now()) if body.get("deadline") is not None else None
    session = db_session()
    with write_lock:
        task = owned_task(session, ctx, task_id)
        if task.is_done:
            raise GlobusError(409, "ClientError.Conflict", f"Task {task.id} is complete and can no longer be modified.")
        update_task(task, label, deadline, "label" in body)
        session.commit()
    return jsonify(result_document("Updated", "Task updated successfully", resource_path()))


@bp.post("/v0.10/task/<task_id>/cancel")
def cancel(task_id: str):
    """POST /task/<id>/cancel: stop a running task (TaskComplete if it already finished)."""
    ctx = transfer_caller()
    session = db_session()
    with write_lock:
        task = owned_task(session, ctx, task_id)
        canceled = cancel_task(session, task)
        session.commit()
    if canceled:
        return jsonify(result_document("Canceled", "The task has been cancelled successfully.", resource_path()))
    return jsonify(result_document("TaskComplete", "The task completed before it could be cancelled.", resource_path()))


@bp.get("/v0.10/task/<task_id>/event_list")
def task_event_list(task_id: str):
    """GET /task/<id>/event_list: the task's events, newest first, paged by limit/offset."""
    ctx = transfer_caller()
    session = db_session()
    task = owned_task(session, ctx, task_id)
    return jsonify(event_list_body(session, task))


def event_list_body(session, task: Task, *, errors_only: bool = False) -> dict:  # noqa: ANN001 - Session
    """The `event_list` document for one task (shared with the endpoint manager)."""
    limit = int_arg("limit", 10, minimum=1, maximum=1000)
    offset = int_arg("offset", 0, minimum=0, maximum=1_000_000)
    events, total = event_page(session, task, limit, offset, errors_only=errors_only)
    return {
        "DATA_TYPE": "event_list",
        "DATA": [event_document(event) for event in events],
        "length": len(events),
        "limit": limit,
        "offset": offset,
        "total": total,
    }


def results_body(session, task: Task, kind: str) -> dict:  # noqa: ANN001 - Session
    """A `successful_transfers` or `skipped_errors` page, paged by `marker`."""
    start = parse_marker(request.args.get("marker"))
    rows, next_marker = results_page(session, task, kind, start)
    render = successful_transfer_document if kind == "success" else skipped_error_document
    return {
        "DATA_TYPE": "successful_transfers" if kind == "success" else "skipped_errors",
        "marker": start,
        "next_marker": next_marker,
        "DATA": [render(row) for row in rows],
    }


@bp.get("/v0.10/task/<task_id>/successful_transfers")
def task_successful_transfers(task_id: str):
    """GET /task/<id>/successful_transfers: files the task copied."""
    ctx = transfer_caller()
    session = db_session()
    return jsonify(results_body(session, owned_task(session, ctx, task_id), "success"))


@bp.get("/v0.10/task/<task_id>/skipped_errors")
def task_skipped_errors(task_id: str):
    """GET /task/<id>/skipped_errors: paths skipped under skip_source_errors."""
    ctx = transfer_caller()
    session = db_session()
    return jsonify(results_body(session, owned_task(session, ctx, task_id), "skipped"))


@bp.get("/v0.10/task/<task_id>/pause_info")
def task_pause_info(task_id: str):
    """GET /task/<id>/pause_info: why the task is paused, if it is."""
    ctx = transfer_caller()
    session = db_session()
    return jsonify(pause_info_document(owned_task(session, ctx, task_id)))
