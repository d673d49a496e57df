"""Validate transfer and delete submissions (every field the SDK can send) and create their tasks.

Anything the service would refuse is refused here with a 400 before a row is written: unknown
fields, wrong types, bad paths, empty item lists. Permissions are checked per item at submission
(ConsentRequired surfaces now, as in Transfer); a collection that is down is checked when it runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext
from emulator.errors import GlobusError
from emulator.transfer.access import (
    READ,
    WRITE,
    get_collection,
    note_use,
    require_access,
)
from emulator.transfer.errors import bad_request
from emulator.transfer.models import Collection
from emulator.transfer.storage.paths import parse_path
from emulator.transfer.tasks.models import Task, TaskItem, now_seconds
from emulator.transfer.tasks.submission_fields import (
    filter_rules_field,
    only_known,
    optional_bool,
    optional_str,
    parse_deadline,
    parse_label,
    submission_id_field,
    sync_level_field,
)

MAX_ITEMS = 100_000
CHECKSUM_ALGORITHMS = ("MD5", "SHA1", "SHA256", "SHA512", "ADLER32")

COMMON_FIELDS = {
    "DATA_TYPE",
    "DATA",
    "submission_id",
    "label",
    "deadline",
    "notify_on_succeeded",
    "notify_on_failed",
    "notify_on_inactive",
    "store_base_path_info",
}
TRANSFER_FIELDS = COMMON_FIELDS | {
    "source_endpoint",
    "destination_endpoint",
    "sync_level",
    "verify_checksum",
    "preserve_timestamp",
    "encrypt_data",
    "skip_source_errors",
    "fail_on_quota_errors",
    "delete_destination_extra",
    "source_local_user",
    "destination_local_user",
    "filter_rules",
    "recursive_symlinks",
    "perf_cc",
    "perf_p",
    "perf_pp",
    "perf_udt",
}
DELETE_FIELDS = COMMON_FIELDS | {"endpoint", "recursive", "ignore_missing", "interpret_globs", "local_user"}
TRANSFER_ITEM_FIELDS = {
    "DATA_TYPE",
    "source_path",
    "destination_path",
    "recursive",
    "external_checksum",
    "checksum_algorithm",
}
DELETE_ITEM_FIELDS = {"DATA_TYPE", "path"}
PERF_FIELDS = ("perf_cc", "perf_p", "perf_pp", "perf_udt")


@dataclass
class Submission:
    """A validated submission, ready to become a task."""

    kind: str  # TRANSFER | DELETE
    submission_id: str
    source: Collection
    destination: Collection | None
    options: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)


def _items(body: dict[str, Any], item_type: str, allowed: set[str], empty_code: str, empty_message: str) -> list[dict]:
    data = body.get("DATA")
    if data is None or data == []:
        raise bad_request(empty_message, empty_code)
    if not isinstance(data, list):
        raise bad_request("'DATA' must be a list of items.")
    if len(data) > MAX_ITEMS:
        raise bad_request(f"A task may have at most {MAX_ITEMS} items.")
    for item in data:
        if not isinstance(item, dict):
            raise bad_request("Each item in DATA must be a JSON object.")
        if item.get("DATA_TYPE", item_type) != item_type:
            raise bad_request(f"Items must have DATA_TYPE '{item_type}', not {item.get('DATA_TYPE')!r}.")
        only_known(item, allowed, item_type)
    return data


def _transfer_item(item: dict[str, Any]) -> dict[str, Any]:
    for name in ("source_path", "destination_path"):
        if not isinstance(item.get(name), str) or not item[name]:
            raise bad_request(f"Each transfer_item needs a '{name}' string.", "ClientError.BadRequest.InvalidPath")
        parse_path(item[name])
    recursive = optional_bool(item, "recursive", False)
    checksum = optional_str(item, "external_checksum")
    algorithm = optional_str(item, "checksum_algorithm", 16)
    if algorithm is not None and algorithm.upper() not in CHECKSUM_ALGORITHMS:
        raise bad_request(f"Unsupported checksum_algorithm {algorithm!r}; use one of {', '.join(CHECKSUM_ALGORITHMS)}.")
    if checksum is not None and recursive:
        raise bad_request("external_checksum cannot be used with a recursive (directory) item.")
    return {
        "source_path": item["source_path"],
        "destination_path": item["destination_path"],
        "recursive": recursive,
        "external_checksum": checksum.lower() if checksum else None,
        "checksum_algorithm": algorithm.upper() if algorithm else None,
    }


def _common_options(body: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "label": parse_label(body.get("label")),
        "deadline": parse_deadline(body.get("deadline"), now),
        "notify_on_succeeded": optional_bool(body, "notify_on_succeeded", True),
        "notify_on_failed": optional_bool(body, "notify_on_failed", True),
        "notify_on_inactive": optional_bool(body, "notify_on_inactive", True),
    }


def parse_transfer(session: Session, body: dict[str, Any], now: float) -> Submission:
    """Validate a `transfer` document (TransferData) into a Submission."""
    only_known(body, TRANSFER_FIELDS, "transfer document")
    submission_id = submission_id_field(body)
    for name in ("source_endpoint", "destination_endpoint"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise bad_request(f"'{name}' is required.", "ClientError.BadRequest.MissingField")
    raw_items = _items(
        body,
        "transfer_item",
        TRANSFER_ITEM_FIELDS,
        "ClientError.BadRequest.NoTransferItems",
        "A transfer requires at least one item",
    )
    items = [_transfer_item(item) for item in raw_items]
    options = _common_options(body, now)
    options.update(
        sync_level=sync_level_field(body.get("sync_level")),
        verify_checksum=optional_bool(body, "verify_checksum", False),
        preserve_timestamp=optional_bool(body, "preserve_timestamp", False),
        encrypt_data=optional_bool(body, "encrypt_data", False),
        skip_source_errors=optional_bool(body, "skip_source_errors", False),
        fail_on_quota_errors=optional_bool(body, "fail_on_quota_errors", False),
        delete_destination_extra=optional_bool(body, "delete_destination_extra", False),
        source_local_user=optional_str(body, "source_local_user", 64),
        destination_local_user=optional_str(body, "destination_local_user", 64),
        filter_rules=filter_rules_field(body.get("filter_rules")),
    )
    symlinks = body.get("recursive_symlinks", "ignore")
    if symlinks not in ("ignore", "keep", "copy"):
        raise bad_request("'recursive_symlinks' must be 'ignore', 'keep' or 'copy'.")
    options["recursive_symlinks"] = symlinks
    extras = {}
    for name in PERF_FIELDS:
        if body.get(name) is not None:
            if isinstance(body[name], bool) or not isinstance(body[name], int) or body[name] < 0:
                raise bad_request(f"'{name}' must be a non-negative integer.")
            extras[name] = body[name]
    options["extra_options"] = extras
    source = get_collection(session, body["source_endpoint"])
    destination = get_collection(session, body["destination_endpoint"])
    return Submission("TRANSFER", submission_id, source, destination, options, items)


def parse_delete(session: Session, body: dict[str, Any], now: float) -> Submission:
    """Validate a `delete` document (DeleteData) into a Submission."""
    only_known(body, DELETE_FIELDS, "delete document")
    submission_id = submission_id_field(body)
    if not isinstance(body.get("endpoint"), str) or not body["endpoint"]:
        raise bad_request("'endpoint' is required.", "ClientError.BadRequest.MissingField")
    raw_items = _items(
        body,
        "delete_item",
        DELETE_ITEM_FIELDS,
        "ClientError.BadRequest.NoDeleteItems",
        "A delete requires at least one item",
    )
    items = []
    for item in raw_items:
        if not isinstance(item.get("path"), str) or not item["path"]:
            raise bad_request("Each delete_item needs a 'path' string.", "ClientError.BadRequest.InvalidPath")
        parse_path(item["path"])
        items.append({"source_path": item["path"], "destination_path": None, "recursive": False})
    options = _common_options(body, now)
    options.update(
        recursive=optional_bool(body, "recursive", False),
        ignore_missing=optional_bool(body, "ignore_missing", False),
        interpret_globs=optional_bool(body, "interpret_globs", False),
        source_local_user=optional_str(body, "local_user", 64),
    )
    endpoint = get_collection(session, body["endpoint"])
    return Submission("DELETE", submission_id, endpoint, None, options, items)


def _check(
    session: Session, ctx: TokenContext, collection: Collection, path: str, mode: str, *, glob: bool = False
) -> None:
    target = _static_part(path) if glob else path
    try:
        # Deletes act on a symlink itself, never on what it points to.
        require_access(session, ctx, collection, target, mode, via="transfer", follow_final=mode == READ)
    except GlobusError as err:
        # A collection that is down cannot be asked now; the runner waits for it and checks then.
        if err.code != "EndpointError":
            raise


def _static_part(path: str) -> str:
    """For glob deletes, the directory part before the wildcard name (what must be writable)."""
    if not any(ch in path.rsplit("/", 1)[-1] for ch in "*?["):
        return path
    return path.rsplit("/", 1)[0] or "/"


def check_permissions(session: Session, ctx: TokenContext, submission: Submission) -> None:
    """Require read on every source path and write on every destination (or delete) path."""
    for item in submission.items:
        if submission.kind == "TRANSFER":
            destination = submission.destination or submission.source  # parse_submission always sets it
            _check(session, ctx, submission.source, item["source_path"], READ)
            _check(session, ctx, destination, item["destination_path"], WRITE)
        else:
            glob = submission.options["interpret_globs"]
            _check(session, ctx, submission.source, item["source_path"], WRITE, glob=glob)
    used = [submission.source] + ([submission.destination] if submission.destination else [])
    note_use(session, ctx, used)


def create_task(session: Session, ctx: TokenContext, submission: Submission, now: float) -> Task:
    """Insert the task, its items and its first event (the caller commits)."""
    options = dict(submission.options)
    filter_rules = options.pop("filter_rules", None)
    extras = options.pop("extra_options", {})
    task = Task(
        type=submission.kind,
        status="ACTIVE",
        submission_id=submission.submission_id,
        owner_id=ctx.identity_id,
        owner_string=ctx.username or ctx.identity_id,
        client_id=ctx.client_id,
        dependent_scopes=" ".join(ctx.dependent_scopes),
        source_endpoint_id=submission.source.id,
        destination_endpoint_id=submission.destination.id if submission.destination else None,
        request_time=now,
        filter_rules_json=None if filter_rules is None else json.dumps(filter_rules),
        extra_options_json=json.dumps(extras),
        nice_status="Queued",
        nice_status_short_description="Queued",
        subtasks_total=len(submission.items),
        subtasks_pending=len(submission.items),
        **options,
    )
    session.add(task)
    session.flush()
    for position, item in enumerate(submission.items):
        session.add(TaskItem(task_id=task.id, position=position, **item))
    return task


def now() -> float:
    """Submission time (separate so every row of one submission shares it)."""
    return now_seconds()
