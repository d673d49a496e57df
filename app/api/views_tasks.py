"""Transfers (at most once per caller-chosen submission_id) and tasks: list, get, events, files, cancel."""

from __future__ import annotations

from app.api import models
from app.api.caller import as_caller
from app.api.openapi import spec
from app.services import api_requests, tasks
from app.services.task_records import FileResultPage


@spec.operation(
    "POST",
    "/transfers",
    summary="Start a transfer (the same submission_id twice: one task)",
    tag="transfers",
    body=models.TransferRequest,
    response=models.Submitted,
    status=202,
)
def submit_transfer(body: models.TransferRequest) -> models.Submitted:
    """Submit a transfer with every Globus Transfer option; saved before Globus is called, so retries are safe."""
    request = body.model_dump()
    return models.Submitted.model_validate(as_caller(lambda c: api_requests.submit_transfer(c.user_id, request)))


@spec.operation("GET", "/tasks", summary="List tasks", tag="tasks", query=models.TaskQuery, response=models.TaskPage)
def list_tasks(query: models.TaskQuery) -> models.TaskPage:
    """One page (25) of the caller's tasks, newest first, filtered."""
    filters = {"status": query.status, "type": query.type, "label": query.label, "from": query.from_, "to": query.to}
    page = as_caller(lambda c: tasks.list_tasks(c.user_id, tasks.parse_filters(filters), query.offset))
    return models.TaskPage(
        data=[models.Task.model_validate(task) for task in page.tasks],
        offset=page.offset,
        limit=page.limit,
        total=page.total,
        has_next_page=page.has_next_page,
    )


@spec.operation("GET", "/tasks/<task_id>", summary="One task", tag="tasks", response=models.Task)
def get_task(task_id: str) -> models.Task:
    """A task's state and progress."""
    return models.Task.model_validate(as_caller(lambda c: tasks.get_task(c.user_id, task_id)))


@spec.operation(
    "GET",
    "/tasks/<task_id>/events",
    summary="A task's events",
    tag="tasks",
    query=models.OffsetQuery,
    response=models.EventPage,
)
def task_events(task_id: str, query: models.OffsetQuery) -> models.EventPage:
    """One page (20) of a task's events: faults, retries, status changes."""
    page = as_caller(lambda c: tasks.list_events(c.user_id, task_id, query.offset))
    return models.EventPage(
        data=[models.Event.model_validate(event) for event in page.events],
        offset=page.offset,
        limit=page.limit,
        total=page.total,
        has_next_page=page.has_next_page,
    )


def _file_page(page: FileResultPage) -> models.FileResultPage:
    return models.FileResultPage(
        data=[models.FileResult.model_validate(result) for result in page.results],
        marker=page.marker,
        next_marker=page.next_marker,
        has_next_page=page.next_marker is not None,
    )


@spec.operation(
    "GET",
    "/tasks/<task_id>/successful_transfers",
    summary="Files a task transferred",
    tag="tasks",
    query=models.MarkerQuery,
    response=models.FileResultPage,
)
def successful_transfers(task_id: str, query: models.MarkerQuery) -> models.FileResultPage:
    """One page of the files a task transferred (page on with next_marker)."""
    return _file_page(as_caller(lambda c: tasks.successful_transfers(c.user_id, task_id, query.marker)))


@spec.operation(
    "GET",
    "/tasks/<task_id>/skipped_errors",
    summary="Paths a task skipped",
    tag="tasks",
    query=models.MarkerQuery,
    response=models.FileResultPage,
)
def skipped_errors(task_id: str, query: models.MarkerQuery) -> models.FileResultPage:
    """One page of the paths a task skipped because of source errors, with the reason."""
    return _file_page(as_caller(lambda c: tasks.skipped_errors(c.user_id, task_id, query.marker)))


@spec.operation("POST", "/tasks/<task_id>/cancel", summary="Cancel a task", tag="tasks", response=models.Cancellation)
def cancel_task(task_id: str) -> models.Cancellation:
    """Ask Transfer to cancel the task (a finished task is answered, not an error)."""
    return models.Cancellation.model_validate(as_caller(lambda c: tasks.cancel(c.user_id, task_id)))
