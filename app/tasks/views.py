"""Task pages: list with filters, a task with live progress, per-file results, cancel and resubmit."""

from __future__ import annotations

from flask import (
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from app.auth.access import login_required, signed_in_user_id
from app.services import paths, tasks
from app.tasks import bp
from app.templating import filesize, iso, rate, when


@bp.get("/")
@login_required
def index():
    """The user's tasks, newest first, filtered by status, type, label and date range."""
    listed = tasks.task_list(signed_in_user_id(), request.args)
    body = render_template(
        "tasks/list.html",
        page=listed.page,
        error=listed.error,
        args=request.args,
        statuses=tasks.STATUS_CHOICES,
        types=tasks.TYPE_CHOICES,
    )
    return make_response(body, 400 if listed.error else 200)


@bp.get("/<task_id>")
@login_required
def detail(task_id: str):
    """A task: live progress, options, events (paged), links to its files and folders."""
    view = tasks.task_view(signed_in_user_id(), task_id, request.args.get("events_offset"))
    return render_template(
        "tasks/detail.html",
        task=view.task,
        events=view.events,
        folders=view.folders,
        resubmit_token=view.resubmit_token,
    )


def progress_document(task: tasks.Task, events: tasks.EventPage | None = None) -> dict:
    """What the progress script needs to redraw a task (and its newest events) without reloading."""
    document = {
        "task_id": task.task_id,
        "status": task.status,
        "status_class": task.status_class,
        "status_label": task.status_label,
        "is_done": task.is_done,
        "percent": task.percent,
        "progress_basis": task.progress_basis,
        "shows_bar": task.shows_bar,
        "progress_text": task.progress_text,
        "outcome_text": task.outcome_text,
        "eta_text": task.eta_text,
        "files": task.files,
        "files_transferred": task.files_transferred,
        "files_skipped": task.files_skipped,
        "skipped_errors": task.skipped_errors,
        "directories": task.directories,
        "bytes_transferred": task.bytes_transferred,
        "expected_bytes": task.expected_bytes,
        "bytes_text": filesize(task.bytes_transferred),
        "rate_text": rate(task.bytes_per_second),
        "faults": task.faults,
        "fatal_error": task.fatal_error,
        "completed_text": when(task.completed),
        "can_cancel": task.can_cancel,
        "can_resubmit": task.can_resubmit,
    }
    if events is not None:
        document["events_total"] = events.total
        document["events"] = [
            {
                "time": iso(event.time),
                "time_text": when(event.time),
                "text": event.description or event.code,
                "details": event.details,
                "is_error": event.is_error,
            }
            for event in events.events
        ]
    return document


@bp.get("/<task_id>/progress")
@login_required
def progress(task_id: str):
    """JSON for the live task page (polled by static/js/task-progress.js); `events=1` adds the newest events."""
    if request.args.get("events") == "1":
        view = tasks.task_view(signed_in_user_id(), task_id, None)
        return jsonify(progress_document(view.task, view.events))
    return jsonify(progress_document(tasks.get_task(signed_in_user_id(), task_id)))


def _files_page(task_id: str, kind: str):
    found = tasks.task_files(signed_in_user_id(), task_id, kind, request.args.get("marker"))
    return render_template(
        "tasks/files.html", task=found.task, listing=found.listing, kind=found.kind, parent_of=paths.parent_of
    )


@bp.get("/<task_id>/successful")
@login_required
def successful(task_id: str):
    """The files the task transferred, paged, each linked to its folder."""
    return _files_page(task_id, "successful")


@bp.get("/<task_id>/skipped")
@login_required
def skipped(task_id: str):
    """The paths the task skipped because of source errors, paged, with the reason."""
    return _files_page(task_id, "skipped")


@bp.get("/<task_id>/cancel")
@login_required
def cancel_confirm(task_id: str):
    """Ask before cancelling: the task by name, and what a cancel does and does not undo."""
    return render_template("tasks/cancel_confirm.html", task=tasks.get_task(signed_in_user_id(), task_id))


@bp.post("/<task_id>/cancel")
@login_required
def cancel(task_id: str):
    """Cancel a running task."""
    cancelled = tasks.cancel(signed_in_user_id(), task_id)
    flash(cancelled.message, "info")
    return redirect(url_for("tasks.detail", task_id=cancelled.task_id))


@bp.post("/<task_id>/resubmit")
@login_required
def resubmit(task_id: str):
    """Run a failed or cancelled task again with the same files and options (once per press)."""
    submitted = tasks.resubmit(signed_in_user_id(), task_id, request.form.get("form_token"))
    if submitted.reused:
        flash("That resubmission was already made; here is its task.", "info")
    else:
        flash("Resubmitted as a new task with the same files and options.", "success")
    return redirect(url_for("tasks.detail", task_id=submitted.task_id))
