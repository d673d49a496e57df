"""The step types of an automation run: what each submits or does, and how its end is recorded.

A step type is a StepType: `document()` builds the Transfer request a task step submits (at most
once, through services/submissions.py, under the form token the step saved first), or `perform()`
does the work of a step that makes no task (Search ingest). `finished()` records what a task
step's finished task says. Later issues add types here (catalog, compute) without touching the
run engine (services/automation_chain.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.automation import Automation, AutomationRun, AutomationStep
from app.services import automation_forms, user_clients
from app.services.errors import InvalidRequest
from app.services.globus import search_ingest
from app.services.globus import transfer as upstream

INGEST_BATCH = 100
MAX_INGEST_PAGES = 1000  # successful_transfers pages of up to 1,000 files each


class StepRefused(InvalidRequest):
    """A step cannot go ahead (for a reason retrying will not fix by itself)."""


@dataclass(frozen=True)
class StepType:
    """What one kind of step does."""

    label: str
    document: Callable[[AutomationStep, AutomationRun, Automation], dict[str, Any]] | None = None
    perform: Callable[[AutomationStep, AutomationRun, Automation], dict[str, Any]] | None = None
    finished: Callable[[AutomationStep, AutomationRun, dict[str, Any]], None] | None = None

    @property
    def submits_task(self) -> bool:
        """True when the step's work is a Transfer task (it then waits for the task's end)."""
        return self.document is not None


def _label(run: AutomationRun, automation: Automation, suffix: str = "") -> str:
    moment = run.scheduled_for.replace(tzinfo=UTC)
    label = automation_forms.render_label(
        automation.label_template, name=automation.name, moment=moment, zone=automation.timezone
    )
    return (label + suffix)[:128]


def _options(automation: Automation) -> dict[str, Any]:
    options = dict(automation.transfer_options)
    hours = options.pop("deadline_hours", None)
    options["deadline"] = (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds") if hours else None
    return options


def _copy_document(
    automation: Automation, source: str, source_path: str, destination: str, destination_path: str, label: str
) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": "transfer", "source": source, "destination": destination}
    doc.update(_options(automation))
    doc["label"] = label
    doc["items"] = [{"source": source_path, "destination": destination_path, "recursive": True}]
    doc["automation_id"] = automation.id
    return doc


def _transfer_document(step: AutomationStep, run: AutomationRun, automation: Automation) -> dict[str, Any]:
    return _copy_document(
        automation,
        automation.source_collection_id,
        automation.source_path,
        automation.destination_collection_id,
        automation.destination_path,
        _label(run, automation),
    )


def _backup_document(step: AutomationStep, run: AutomationRun, automation: Automation) -> dict[str, Any]:
    return _copy_document(
        automation,
        automation.destination_collection_id,
        automation.destination_path,
        step.config["collection"],
        step.config["path"],
        _label(run, automation, " (backup)"),
    )


def _transfer_step(run: AutomationRun) -> AutomationStep:
    return next(step for step in run.steps if step.step_type == "transfer")


def _delete_document(step: AutomationStep, run: AutomationRun, automation: Automation) -> dict[str, Any]:
    sync = _transfer_step(run).result or {}
    # Only what Transfer itself verified may go: checksums on, nothing skipped for source errors.
    if not sync.get("verify_checksum"):
        raise StepRefused("The transfer was not checksum-verified, so the source folder was kept.")
    if sync.get("skipped_errors"):
        raise StepRefused(f"{sync['skipped_errors']} file(s) could not be read, so the source folder was kept.")
    if step.config.get("confirmed") != (automation.source_path.rstrip("/").rsplit("/", 1)[-1]):
        raise StepRefused("The source folder changed since its deletion was confirmed; confirm it again.")
    return {
        "kind": "delete",
        "collection": automation.source_collection_id,
        "label": _label(run, automation, " (delete source)"),
        "notify_on_succeeded": False,
        "notify_on_failed": False,
        "notify_on_inactive": False,
        "items": [{"path": automation.source_path, "recursive": True}],
        "folder": automation.source_path,
        "automation_id": automation.id,
    }


def _record_transfer(step: AutomationStep, run: AutomationRun, task: dict[str, Any]) -> None:
    step.result = {
        "bytes_transferred": int(task.get("bytes_transferred") or 0),
        "files_transferred": int(task.get("files_transferred") or 0),
        "files_skipped": int(task.get("files_skipped") or 0),
        "skipped_errors": int(task.get("subtasks_skipped_errors") or 0),
        "verify_checksum": bool(task.get("verify_checksum")),
        "status": task.get("status"),
    }
    if step.step_type == "transfer":
        run.task_id = step.task_id
        run.bytes_transferred = step.result["bytes_transferred"]
        run.files_transferred = step.result["files_transferred"]
        run.files_skipped = step.result["files_skipped"]


def _record_delete(step: AutomationStep, run: AutomationRun, task: dict[str, Any]) -> None:
    step.result = {"status": task.get("status"), "files_deleted": int(task.get("files") or 0)}


def _identity_of(user_id: int) -> str:
    identity = db.session.scalar(select(User.primary_identity_id).where(User.id == user_id))
    if not identity:
        raise StepRefused("The user's identity is not known.")
    return str(identity)


def _ingest(step: AutomationStep, run: AutomationRun, automation: Automation) -> dict[str, Any]:
    index_id = current_app.config.get("GLOBUS_SEARCH_INDEX_ID")
    if not index_id:
        raise StepRefused("The gateway has no Search index configured (GLOBUS_SEARCH_INDEX_ID).")
    transfer = _transfer_step(run)
    if not transfer.task_id:
        raise StepRefused("The transfer made no task, so there is nothing to record.")
    principal = f"urn:globus:auth:identity:{_identity_of(run.user_id)}"
    transfer_client = user_clients.transfer_client(run.user_id, for_worker=True)
    search_client = user_clients.search_client(run.user_id, for_worker=True)
    ran_at = run.scheduled_for.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    marker: str | None = None
    records = 0
    for _ in range(MAX_INGEST_PAGES):
        page = upstream.list_successful_transfers(transfer_client, transfer.task_id, marker=marker)
        batch: list[dict[str, Any]] = []
        for item in page.get("DATA") or []:
            batch.append(_record(item, automation, run, transfer.task_id, principal, ran_at))
            if len(batch) == INGEST_BATCH:
                search_ingest.ingest_entries(search_client, index_id, batch)
                records, batch = records + len(batch), []
        if batch:
            search_ingest.ingest_entries(search_client, index_id, batch)
            records += len(batch)
        marker = page.get("next_marker")
        if not marker:
            break
    return {"records": records, "index_id": index_id}


def _record(
    item: dict[str, Any], automation: Automation, run: AutomationRun, task_id: str, principal: str, ran_at: str
) -> dict[str, Any]:
    path = str(item.get("destination_path") or "")
    # The same subject and entry id on a retry replaces the record instead of adding another.
    return {
        "subject": f"globus://{automation.destination_collection_id}{path}",
        "id": "automation",
        "visible_to": [principal],
        "content": {
            "title": path.rsplit("/", 1)[-1] or path,
            "path": path,
            "collection_id": automation.destination_collection_id,
            "source": f"globus://{automation.source_collection_id}{item.get('source_path') or ''}",
            "automation": automation.name,
            "transferred_at": ran_at,
            "task_id": task_id,
        },
    }


STEP_TYPES: dict[str, StepType] = {
    "transfer": StepType("Sync", document=_transfer_document, finished=_record_transfer),
    "backup": StepType("Backup copy", document=_backup_document, finished=_record_transfer),
    "delete_source": StepType("Delete source folder", document=_delete_document, finished=_record_delete),
    "ingest": StepType("Search records", perform=_ingest),
}


def step_type(name: str) -> StepType:
    """The StepType of a saved step (an unknown name means code older than the data)."""
    try:
        return STEP_TYPES[name]
    except KeyError:
        raise StepRefused(f"This gateway does not know the step type {name!r}.") from None
