"""Endpoint manager: monitored collections and admin views/actions on tasks touching them."""

from __future__ import annotations

import uuid

from flask import jsonify, request
from sqlalchemy import and_, or_, select

from emulator.db import db_session, write_lock
from emulator.errors import GlobusError
from emulator.transfer.access import effective_roles
from emulator.transfer.documents import endpoint_document, result_document
from emulator.transfer.errors import bad_request
from emulator.transfer.http import bp
from emulator.transfer.http.request_args import (
    bool_arg,
    int_arg,
    resource_path,
    transfer_caller,
)
from emulator.transfer.http.tasks import event_list_body, results_body
from emulator.transfer.manager_access import (
    MANAGER_ROLES,
    MONITOR_ROLES,
    admin_side,
    collections_with_roles,
    permission_denied,
    touches,
    touching_condition,
)
from emulator.transfer.models import Collection
from emulator.transfer.tasks.documents import collections_by_id, manager_task_document
from emulator.transfer.tasks.lifecycle import (
    admin_pause,
    admin_resume,
    cancel_task,
    pause_info_document,
)
from emulator.transfer.tasks.models import LIVE_STATUSES, AdminCancel, Task
from emulator.transfer.tasks.queries import (
    TASK_STATUSES,
    load_task,
    task_not_found,
    time_range,
)

MAX_TASK_IDS = 50


def _monitored_task(task_id: str) -> Task:
    ctx = transfer_caller()
    session = db_session()
    task = load_task(session, task_id)
    if task is None:
        raise task_not_found(task_id)
    if not touches(task, collections_with_roles(session, ctx, MONITOR_ROLES)):
        raise permission_denied(f"You need an activity_monitor role on a collection of task {task.id}.")
    return task


@bp.get("/v0.10/endpoint_manager/monitored_endpoints")
def monitored_endpoints():
    """Collections on which the caller is administrator, activity_manager or activity_monitor."""
    ctx = transfer_caller()
    session = db_session()
    collections = sorted(collections_with_roles(session, ctx, MONITOR_ROLES).values(), key=lambda c: c.display_name)
    documents = []
    for collection in collections:
        host = session.get(Collection, collection.host_collection_id) if collection.host_collection_id else None
        documents.append(
            endpoint_document(
                collection, base_url=request.url_root, roles=effective_roles(session, ctx, collection), host=host
            )
        )
    return jsonify(
        {"DATA_TYPE": "endpoint_list", "DATA": documents, "has_next_page": False, "offset": 0, "limit": len(documents)}
    )


def _list_strings(name: str) -> list[str]:
    raw = request.args.get(name)
    return [value.strip() for value in raw.split(",") if value.strip()] if raw else []


def _uuid_list(name: str) -> list[str]:
    values = []
    for value in _list_strings(name):
        try:
            values.append(str(uuid.UUID(value)))
        except ValueError:
            raise bad_request(f"'{name}' holds an invalid id: {value!r}.") from None
    return values


def _endpoint_condition(endpoint_id: str, use: str | None, monitored: dict):  # noqa: ANN202 - SQL expression
    if endpoint_id not in monitored:
        raise permission_denied(f"You have no activity_monitor role on endpoint {endpoint_id}.")
    # A host (mapped) collection also matches tasks on the guest collections it hosts.
    ids = [endpoint_id] + [cid for cid, c in monitored.items() if c.host_collection_id == endpoint_id]
    source, destination = Task.source_endpoint_id.in_(ids), Task.destination_endpoint_id.in_(ids)
    if use == "source":
        return source
    if use == "destination":
        return destination
    return or_(source, destination)


def _last_key_condition(last_key: str):  # noqa: ANN202 - SQL expression
    moment, sep, task_id = last_key.partition(",")
    try:
        value = float(moment)
    except ValueError:
        raise bad_request(f"Invalid last_key {last_key!r}.", "ClientError.BadRequest.InvalidLastKey") from None
    if not sep:
        raise bad_request(f"Invalid last_key {last_key!r}.", "ClientError.BadRequest.InvalidLastKey")
    return or_(Task.request_time < value, and_(Task.request_time == value, Task.id < task_id))


def _task_list_conditions(monitored: dict) -> list:
    statuses = [s.upper() for s in _list_strings("filter_status")]
    if any(s not in TASK_STATUSES for s in statuses):
        raise bad_request(f"filter_status accepts {', '.join(TASK_STATUSES)}.")
    task_ids = _uuid_list("filter_task_id")
    endpoint = request.args.get("filter_endpoint")
    use = request.args.get("filter_endpoint_use")
    others = [
        n
        for n in (
            "filter_status",
            "filter_owner_id",
            "filter_endpoint",
            "filter_is_paused",
            "filter_completion_time",
            "filter_min_faults",
            "filter_local_user",
        )
        if request.args.get(n)
    ]
    if task_ids and others:
        raise bad_request("filter_task_id cannot be combined with other filters.")
    if len(task_ids) > MAX_TASK_IDS:
        raise bad_request(f"filter_task_id accepts at most {MAX_TASK_IDS} ids.")
    running_only = bool(statuses) and set(statuses) <= set(LIVE_STATUSES)
    if not running_only and not task_ids and not endpoint:
        raise bad_request(
            "Unless filter_status is a subset of ACTIVE,INACTIVE, give filter_task_id or filter_endpoint."
        )
    if use not in (None, "source", "destination") or (use and not endpoint):
        raise bad_request("filter_endpoint_use must be 'source' or 'destination' and needs filter_endpoint.")
    conditions = [touching_condition(monitored)]
    if task_ids:
        conditions.append(Task.id.in_(task_ids))
    if statuses:
        conditions.append(Task.status.in_(statuses))
    if endpoint:
        conditions.append(_endpoint_condition(endpoint, use, monitored))
    if request.args.get("filter_owner_id"):
        conditions.append(Task.owner_id == request.args["filter_owner_id"])
    if request.args.get("filter_is_paused"):
        if not running_only:
            raise bad_request("filter_is_paused needs filter_status limited to ACTIVE and/or INACTIVE.")
        conditions.append(Task.is_paused.is_(bool_arg("filter_is_paused", False)))
    if request.args.get("filter_completion_time"):
        raw = request.args["filter_completion_time"]
        clause = time_range(Task.completion_time, raw, "filter_completion_time")
        # A blank end includes running tasks: they will complete some time in the future.
        conditions.append(or_(clause, Task.completion_time.is_(None)) if raw.rstrip().endswith(",") else clause)
    if request.args.get("filter_min_faults"):
        conditions.append(Task.faults >= int_arg("filter_min_faults", 0, minimum=0, maximum=10**9))
    if request.args.get("filter_local_user"):
        if not endpoint:
            raise bad_request("filter_local_user needs filter_endpoint.")
        local = request.args["filter_local_user"]
        conditions.append(or_(Task.source_local_user == local, Task.destination_local_user == local))
    return conditions


@bp.get("/v0.10/endpoint_manager/task_list")
def manager_task_list():
    """Tasks touching collections the caller monitors, newest first, paged by last_key."""
    ctx = transfer_caller()
    session = db_session()
    monitored = collections_with_roles(session, ctx, MONITOR_ROLES)
    task_ids = _uuid_list("filter_task_id")
    if task_ids:
        for task in session.scalars(select(Task).where(Task.id.in_(task_ids))):
            if not touches(task, monitored):
                raise permission_denied(f"You have no activity_monitor role on a collection of task {task.id}.")
    limit = int_arg("limit", 10, minimum=1, maximum=1000)
    query = select(Task).where(*_task_list_conditions(monitored))
    if request.args.get("last_key"):
        query = query.where(_last_key_condition(request.args["last_key"]))
    rows = list(session.scalars(query.order_by(Task.request_time.desc(), Task.id.desc()).limit(limit + 1)))
    has_next = len(rows) > limit
    rows = rows[:limit]
    collections = collections_by_id(session, rows)
    return jsonify(
        {
            "DATA_TYPE": "task_list",
            "DATA": [manager_task_document(task, collections) for task in rows],
            "has_next_page": has_next,
            "last_key": f"{rows[-1].request_time!r},{rows[-1].id}" if has_next else None,
            "limit": limit,
        }
    )


@bp.get("/v0.10/endpoint_manager/task/<task_id>")
def manager_get_task(task_id: str):
    """One task, as seen by an administrator of one of its collections."""
    task = _monitored_task(task_id)
    return jsonify(manager_task_document(task, collections_by_id(db_session(), [task])))


@bp.get("/v0.10/endpoint_manager/task/<task_id>/event_list")
def manager_task_event_list(task_id: str):
    """A task's events for an administrator (filter_is_error=1 keeps only errors)."""
    task = _monitored_task(task_id)
    raw = request.args.get("filter_is_error")
    if raw not in (None, "", "1", "true"):
        raise bad_request("filter_is_error only supports 1 (errors only).")
    return jsonify(event_list_body(db_session(), task, errors_only=raw in ("1", "true")))


@bp.get("/v0.10/endpoint_manager/task/<task_id>/successful_transfers")
def manager_task_successful_transfers(task_id: str):
    """A task's successful transfers for an administrator."""
    return jsonify(results_body(db_session(), _monitored_task(task_id), "success"))


@bp.get("/v0.10/endpoint_manager/task/<task_id>/skipped_errors")
def manager_task_skipped_errors(task_id: str):
    """A task's skipped errors for an administrator."""
    return jsonify(results_body(db_session(), _monitored_task(task_id), "skipped"))


@bp.get("/v0.10/endpoint_manager/task/<task_id>/pause_info")
def manager_task_pause_info(task_id: str):
    """Why a task is paused, for an administrator."""
    return jsonify(pause_info_document(_monitored_task(task_id)))


def _managed_tasks(*, needs_message: bool) -> tuple[list[Task], dict, str]:
    """The tasks named in an admin action body, all of which the caller must manage."""
    ctx = transfer_caller()
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "ClientError.BadRequest.InvalidJSON")
    allowed = {"DATA_TYPE", "task_id_list"} | ({"message"} if needs_message else set())
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(unknown)}.", "ClientError.BadRequest.UnknownField")
    ids = body.get("task_id_list")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_TASK_IDS:
        raise bad_request(f"'task_id_list' must list 1 to {MAX_TASK_IDS} task ids.")
    message = body.get("message", "")
    if needs_message and (not isinstance(message, str) or not message.strip()):
        raise bad_request("'message' (shown to the task owners) is required.")
    session = db_session()
    managed = collections_with_roles(session, ctx, MANAGER_ROLES)
    tasks = []
    for task_id in ids:
        task = load_task(session, task_id)
        if task is None:
            raise task_not_found(task_id)
        if not touches(task, managed):
            raise permission_denied(f"You need an activity_manager role on a collection of task {task.id}.")
        tasks.append(task)
    return tasks, managed, message


@bp.post("/v0.10/endpoint_manager/admin_cancel")
def manager_admin_cancel():
    """Cancel tasks as an administrator; returns the admin_cancel record."""
    ctx = transfer_caller()
    tasks, managed, message = _managed_tasks(needs_message=True)
    session = db_session()
    with write_lock:
        for task in tasks:
            cancel_task(session, task, admin_side=admin_side(task, managed), message=message)
        record = AdminCancel(
            created_by=ctx.identity_id, message=message, task_ids="\n".join(task.id for task in tasks), done=True
        )
        session.add(record)
        session.commit()
    return jsonify(_admin_cancel_document(record)), 202


def _admin_cancel_document(record: AdminCancel) -> dict:
    return {
        "DATA_TYPE": "admin_cancel",
        "id": record.id,
        "done": record.done,
        "message": record.message,
        "task_id_list": record.task_ids.split("\n") if record.task_ids else [],
    }


@bp.get("/v0.10/endpoint_manager/admin_cancel/<int:cancel_id>")
def manager_admin_cancel_status(cancel_id: int):
    """The status of an earlier admin cancel (only its creator may read it)."""
    ctx = transfer_caller()
    record = db_session().get(AdminCancel, cancel_id)
    if record is None or record.created_by not in (set(ctx.identity_ids) | {ctx.identity_id}):
        raise GlobusError(404, "ClientError.NotFound", f"No admin cancel with id {cancel_id}.")
    return jsonify(_admin_cancel_document(record))


@bp.post("/v0.10/endpoint_manager/admin_pause")
def manager_admin_pause():
    """Pause tasks as an administrator; they stop moving data until resumed."""
    ctx = transfer_caller()
    tasks, managed, message = _managed_tasks(needs_message=True)
    session = db_session()
    with write_lock:
        paused = [
            task.id
            for task in tasks
            if admin_pause(session, task, side=admin_side(task, managed), message=message, admin_id=ctx.identity_id)
        ]
        session.commit()
    return jsonify(
        result_document("PauseAccepted", f"{len(paused)} task(s) paused.", resource_path(), task_id_list=paused)
    )


@bp.post("/v0.10/endpoint_manager/admin_resume")
def manager_admin_resume():
    """Resume tasks an administrator paused."""
    tasks, _managed, _message = _managed_tasks(needs_message=False)
    session = db_session()
    with write_lock:
        resumed = [task.id for task in tasks if admin_resume(session, task)]
        session.commit()
    return jsonify(
        result_document("ResumeAccepted", f"{len(resumed)} task(s) resumed.", resource_path(), task_id_list=resumed)
    )
