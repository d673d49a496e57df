"""Automation pages: list, new/edit (with a preview), detail with history, and the POST actions."""

from __future__ import annotations

from flask import flash, jsonify, make_response, redirect, render_template, request, url_for

from app.auth.access import current_user_id, login_required, signed_in_user_id
from app.automations import bp
from app.security.redirects import safe_next_path
from app.services import automations, schedules, transfers
from app.services.automation_forms import STEP_TYPES
from app.services.schedules import PRESETS


def _form_page(page: automations.FormPage):
    body = render_template(
        "automations/form.html",
        page=page,
        values=page.values,
        error=page.error,
        presets=PRESETS,
        minute_steps=schedules.MINUTE_STEPS,
        hour_steps=schedules.HOUR_STEPS,
        weekdays=schedules.WEEKDAYS,
        zones=schedules.zone_names(),
        sync_levels=transfers.SYNC_LEVELS,
        step_types=STEP_TYPES,
    )
    return make_response(body, 400 if page.error else 200)


def _days() -> list[str]:
    return request.form.getlist("days") if request.method == "POST" else request.args.getlist("days")


@bp.get("/")
@login_required
def index():
    """The user's automations."""
    return render_template("automations/list.html", listing=automations.list_page(signed_in_user_id()))


@bp.get("/new")
@login_required
def new():
    """An empty automation form (fields may be prefilled from the query string)."""
    return _form_page(automations.new_form(request.args))


@bp.post("/new")
@login_required
def create():
    """Save a new automation, or show the form again with its preview (Preview) or the refusal."""
    outcome = automations.save(signed_in_user_id(), request.form, _days(), preview_only="preview" in request.form)
    if outcome.form is not None:
        return _form_page(outcome.form)
    flash("Automation saved.", "success")
    return redirect(url_for("automations.detail", automation_id=outcome.automation_id))


@bp.get("/preview")
@login_required
def preview():
    """The next five runs of the schedule fields as typed (JSON, for the form's script)."""
    return jsonify(automations.preview_json(request.args, _days()))


@bp.get("/<int:automation_id>")
@login_required
def detail(automation_id: int):
    """An automation, its next runs and its history."""
    page = automations.detail(signed_in_user_id(), automation_id, request.args.get("offset"))
    return render_template("automations/detail.html", page=page, automation=page.automation)


@bp.get("/<int:automation_id>/edit")
@login_required
def edit(automation_id: int):
    """The form of a saved automation."""
    return _form_page(automations.edit_form(signed_in_user_id(), automation_id))


@bp.post("/<int:automation_id>/edit")
@login_required
def update(automation_id: int):
    """Save changes (the next run is computed again), or show the form again."""
    outcome = automations.save(
        signed_in_user_id(), request.form, _days(), automation_id=automation_id, preview_only="preview" in request.form
    )
    if outcome.form is not None:
        return _form_page(outcome.form)
    flash("Automation saved.", "success")
    return redirect(url_for("automations.detail", automation_id=automation_id))


@bp.post("/<int:automation_id>/run")
@login_required
def run_now(automation_id: int):
    """Start a run now, outside the schedule."""
    started = automations.run_now(signed_in_user_id(), automation_id)
    if started.skipped:
        flash(f"Not started: {started.skipped}.", "warning")
    else:
        flash("Run started; it appears in the history below.", "success")
    return redirect(url_for("automations.detail", automation_id=automation_id))


@bp.post("/<int:automation_id>/pause")
@login_required
def pause(automation_id: int):
    """Stop scheduling runs."""
    automations.pause(signed_in_user_id(), automation_id)
    flash("Paused: no runs are scheduled until you resume it.", "info")
    return redirect(url_for("automations.detail", automation_id=automation_id))


@bp.post("/<int:automation_id>/resume")
@login_required
def resume(automation_id: int):
    """Schedule runs again from now on."""
    automations.resume(signed_in_user_id(), automation_id)
    flash("Resumed.", "success")
    return redirect(url_for("automations.detail", automation_id=automation_id))


@bp.post("/<int:automation_id>/delete")
@login_required
def delete(automation_id: int):
    """Delete an automation and its history."""
    name = automations.delete(signed_in_user_id(), automation_id)
    flash(f"Deleted the automation '{name}'. Tasks it started stay in your task list.", "info")
    return redirect(url_for("automations.index"))


@bp.post("/<int:automation_id>/runs/<int:run_id>/steps/<int:step_id>/retry")
@login_required
def retry(automation_id: int, run_id: int, step_id: int):
    """Run a failed run again from its failed step."""
    automations.retry(signed_in_user_id(), automation_id, run_id, step_id)
    flash("Retrying from that step.", "success")
    return redirect(url_for("automations.detail", automation_id=automation_id))


@bp.post("/resume-paused")
@login_required
def resume_paused():
    """Resume the automations paused while the user's login was not working."""
    count = automations.resume_paused_for_tokens(signed_in_user_id())
    flash(f"Resumed {count} automation{'s' if count != 1 else ''}.", "success")
    return redirect(safe_next_path(request.form.get("back")) or url_for("automations.index"))


@bp.app_context_processor
def automation_banner():
    """The token-health banner of every page: automations waiting for the user to sign in again."""

    def banner() -> automations.Banner:
        user_id = current_user_id()
        return automations.banner(user_id) if user_id is not None else automations.Banner(0, False)

    return {"automation_banner": banner}
