"""Changing a task from outside the runner: cancel, admin pause/resume, label/deadline updates.

These write the new state directly; the runner notices it at its next check (between chunks) and
stops or waits. Every function expects the caller to hold `write_lock` and to commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from emulator.transfer.tasks.models import Task, TaskEvent, now_seconds


def add_event(
    session: Session, task: Task, code: str, description: str, details: str = "", *, is_error: bool = False
) -> None:
    """Append one event to the task's event list."""
    session.add(
        TaskEvent(
            task_id=task.id, time=now_seconds(), code=code, description=description, details=details, is_error=is_error
        )
    )


def finish_failed(session: Session, task: Task, code: str, description: str, *, expired: bool = False) -> None:
    """Mark a live task FAILED with a fatal error; its outstanding subtasks count as canceled/expired."""
    outstanding = task.subtasks_pending + task.subtasks_retrying
    if expired:
        task.subtasks_expired += outstanding
    else:
        task.subtasks_canceled += outstanding
    task.subtasks_pending = 0
    task.subtasks_retrying = 0
    task.status = "FAILED"
    task.completion_time = now_seconds()
    task.fatal_error_code = code
    task.fatal_error_description = description
    task.nice_status = None
    task.nice_status_short_description = None
    task.nice_status_details = None
    task.is_paused = False
    task.lease_until = 0.0


def cancel_task(session: Session, task: Task, *, admin_side: str | None = None, message: str | None = None) -> bool:
    """Cancel a live task; False when it had already completed."""
    if task.is_done:
        return False
    if admin_side:
        task.canceled_by_admin = admin_side
        task.canceled_by_admin_message = message
        description = "The task was canceled by an endpoint administrator"
    else:
        description = "The task was canceled by the user"
    finish_failed(session, task, "CANCELED", description)
    add_event(session, task, "CANCELED", "canceled", message or description, is_error=True)
    return True


def admin_pause(session: Session, task: Task, *, side: str, message: str, admin_id: str) -> bool:
    """Pause a live task by id on behalf of an endpoint administrator; False if it had completed."""
    if task.is_done:
        return False
    already = task.is_paused
    task.is_paused = True
    task.admin_pause_message = message
    task.admin_paused_by = admin_id
    task.admin_paused_at = now_seconds()
    task.admin_pause_side = side
    task.nice_status = "PAUSED_BY_ADMIN"
    task.nice_status_short_description = "Paused by an endpoint administrator"
    task.nice_status_details = message
    if not already:
        add_event(session, task, "PAUSED", "paused by administrator", message)
    return True


def admin_resume(session: Session, task: Task) -> bool:
    """Resume a task an administrator paused; False when it was not paused or had completed."""
    if task.is_done or not task.is_paused:
        return False
    task.is_paused = False
    task.admin_pause_message = None
    task.admin_paused_by = None
    task.admin_paused_at = None
    task.admin_pause_side = None
    task.nice_status = "OK"
    task.nice_status_short_description = "OK"
    task.nice_status_details = None
    add_event(session, task, "RESUMED", "resumed by administrator")
    return True


def update_task(task: Task, label: Any, deadline: float | None, label_given: bool) -> None:
    """Apply a label and/or deadline change to a live task."""
    if label_given:
        task.label = label
    if deadline is not None:
        task.deadline = deadline


def pause_info_document(task: Task) -> dict[str, Any]:
    """The `pause_info_limited` document: why the task is paused, if it is."""
    rules = []
    source_message = destination_message = None
    if task.is_paused and not task.is_done:
        side = task.admin_pause_side or "BOTH"
        if side in ("SOURCE", "BOTH"):
            source_message = task.admin_pause_message
        if side in ("DESTINATION", "BOTH"):
            destination_message = task.admin_pause_message
        rules.append(
            {
                "DATA_TYPE": "pause_rule_limited",
                "id": f"admin-pause-{task.id}",
                "message": task.admin_pause_message,
                "start_time": None,
                "endpoint_id": task.destination_endpoint_id if side == "DESTINATION" else task.source_endpoint_id,
                "identity_id": task.owner_id,
                "pause_ls": False,
                "pause_mkdir": False,
                "pause_symlink": False,
                "pause_rename": False,
                "pause_task_delete": task.type == "DELETE",
                "pause_task_transfer_write": task.type == "TRANSFER",
                "pause_task_transfer_read": task.type == "TRANSFER",
            }
        )
    return {
        "DATA_TYPE": "pause_info_limited",
        "pause_rules": rules,
        "source_pause_message": source_message,
        "destination_pause_message": destination_message,
        "source_pause_message_share": None,
        "destination_pause_message_share": None,
    }
