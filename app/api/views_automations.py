"""Automations (issue #10): list, create, update, runs, run now, pause, resume, delete.

They run in the background worker with the user's stored login, like the automation pages; the
API only manages them, through the same service.
"""

from __future__ import annotations

from app.api import models
from app.api.caller import as_caller
from app.api.openapi import spec
from app.services import api_requests, automations


@spec.operation("GET", "/automations", summary="List automations", tag="automations", response=models.AutomationListing)
def list_automations() -> models.AutomationListing:
    """The caller's automations with their next run."""
    listing = as_caller(lambda c: automations.list_page(c.user_id))
    return models.AutomationListing(
        data=[models.AutomationSummary.model_validate(row) for row in listing.rows],
        paused_for_tokens=listing.paused_for_tokens,
        tokens_dead=listing.tokens_dead,
    )


@spec.operation(
    "POST",
    "/automations",
    summary="Create an automation",
    tag="automations",
    body=models.AutomationFields,
    response=models.AutomationSaved,
    status=201,
)
def create_automation(body: models.AutomationFields) -> models.AutomationSaved:
    """Create an automation from the automation form's fields."""
    saved = as_caller(lambda c: api_requests.save_automation(c.user_id, body.fields, body.weekly_days))
    return models.AutomationSaved(automation_id=saved)


@spec.operation(
    "POST",
    "/automations/<automation_id>",
    summary="Change an automation",
    tag="automations",
    body=models.AutomationFields,
    response=models.AutomationSaved,
)
def update_automation(automation_id: str, body: models.AutomationFields) -> models.AutomationSaved:
    """Replace an automation's fields."""
    saved = as_caller(lambda c: api_requests.save_automation(c.user_id, body.fields, body.weekly_days, automation_id))
    return models.AutomationSaved(automation_id=saved)


@spec.operation(
    "GET",
    "/automations/<automation_id>/runs",
    summary="An automation's runs",
    tag="automations",
    query=models.OffsetQuery,
    response=models.AutomationRuns,
)
def automation_runs(automation_id: str, query: models.OffsetQuery) -> models.AutomationRuns:
    """One page of an automation's run history, newest first."""
    detail = as_caller(
        lambda c: automations.detail(c.user_id, api_requests.automation_id(automation_id), str(query.offset))
    )
    return models.AutomationRuns(
        automation_id=detail.automation.id,
        name=detail.automation.name,
        schedule=detail.schedule,
        data=[models.AutomationRun.model_validate(run) for run in detail.runs],
        offset=detail.offset,
        total=detail.total,
        has_next_page=detail.has_next,
    )


@spec.operation(
    "POST",
    "/automations/<automation_id>/run",
    summary="Run an automation now",
    tag="automations",
    response=models.RunStarted,
    status=202,
)
def run_automation(automation_id: str) -> models.RunStarted:
    """Start a run outside the schedule (the worker runs it)."""
    started = as_caller(lambda c: automations.run_now(c.user_id, api_requests.automation_id(automation_id)))
    return models.RunStarted.model_validate(started)


@spec.operation("POST", "/automations/<automation_id>/pause", summary="Pause", tag="automations", response=models.Done)
def pause_automation(automation_id: str) -> models.Done:
    """Stop scheduling runs."""
    as_caller(lambda c: automations.pause(c.user_id, api_requests.automation_id(automation_id)))
    return models.Done(message="Paused.")


@spec.operation(
    "POST", "/automations/<automation_id>/resume", summary="Resume", tag="automations", response=models.Done
)
def resume_automation(automation_id: str) -> models.Done:
    """Schedule runs again."""
    as_caller(lambda c: automations.resume(c.user_id, api_requests.automation_id(automation_id)))
    return models.Done(message="Resumed.")


@spec.operation(
    "POST", "/automations/<automation_id>/delete", summary="Delete", tag="automations", response=models.Done
)
def delete_automation(automation_id: str) -> models.Done:
    """Delete an automation and its history (tasks already made stay in Transfer)."""
    name = as_caller(lambda c: automations.delete(c.user_id, api_requests.automation_id(automation_id)))
    return models.Done(message=f"Deleted {name}.")
