"""Transfer pages: review a two-pane selection with every option, batch lists, submission."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.auth.access import login_required, signed_in_user_id
from app.security.redirects import safe_next_path
from app.services import transfer_forms, transfers
from app.services.errors import InvalidRequest
from app.services.panes import state_args
from app.services.submissions import Submitted
from app.transfers import bp

OTHER_SIDE = {"left": "right", "right": "left"}


def _after_submit(submitted: Submitted):
    if submitted.reused:
        flash("This transfer was already submitted; here is its task (no second copy was started).", "info")
    else:
        flash("Transfer submitted.", "success")
    return redirect(url_for("tasks.detail", task_id=submitted.task_id))


def _review_page(review: transfer_forms.ReviewForm, back: str | None):
    body = render_template(
        "transfers/review.html",
        source=review.source,
        destination=review.destination,
        source_path=review.source_path,
        destination_path=review.destination_path,
        items=review.items,
        items_json=review.items_json,
        options=review.options,
        form_token=review.form_token,
        error=review.error,
        back=safe_next_path(back) or url_for("browse.panes"),
        sync_levels=transfers.SYNC_LEVELS,
    )
    return make_response(body, 400 if review.error else 200)


@bp.post("/new")
@login_required
def review():
    """The transfer form for what was selected in one pane, towards the folder open in the other."""
    side = request.form.get("direction", "left")
    if side not in OTHER_SIDE:
        raise InvalidRequest("Choose which pane to transfer from.", field="direction")
    other = OTHER_SIDE[side]
    form = {
        "source": request.form.get(side, ""),
        "source_path": request.form.get(f"{side}_path", ""),
        "destination": request.form.get(other, ""),
        "destination_path": request.form.get(f"{other}_path", ""),
    }
    back = url_for("browse.panes", **state_args(request.form))  # type: ignore[arg-type]  # str values only
    if not form["source"] or not form["destination"]:
        flash(
            "Open a collection in both panes first: the selection goes to the folder open in the other pane.", "error"
        )
        return redirect(back)
    chosen = [(name, False) for name in request.form.getlist(f"{side}_file")]
    chosen += [(name, True) for name in request.form.getlist(f"{side}_dir")]
    if not chosen:
        flash(f"Select files or folders in the {side} pane first.", "error")
        return redirect(back)
    return _review_page(transfer_forms.review_selection(signed_in_user_id(), form, chosen), back)


@bp.post("/submit")
@login_required
def submit():
    """Submit the reviewed transfer once, however often the button is pressed or the page reloaded."""
    outcome = transfer_forms.submit_review(signed_in_user_id(), request.form)
    if isinstance(outcome, transfer_forms.ReviewForm):
        return _review_page(outcome, request.form.get("back"))
    return _after_submit(outcome)


def _batch_page(batch: transfer_forms.BatchForm, status: int = 200):
    body = render_template(
        "transfers/batch.html",
        values=batch.values,
        options=batch.options,
        form_token=batch.form_token,
        error=batch.error,
        line_errors=batch.line_errors,
        sync_levels=transfers.SYNC_LEVELS,
    )
    return make_response(body, status)


@bp.get("/batch")
@login_required
def batch():
    """The batch form: two collections, two base folders and a list of `source destination` lines."""
    return _batch_page(transfer_forms.batch_form(request.args))


@bp.post("/batch")
@login_required
def submit_batch():
    """Validate every line first; submit only a list with no errors, and only once."""
    upload = request.files.get("batch_file")
    outcome = transfer_forms.submit_batch(
        signed_in_user_id(), request.form, upload.stream if upload is not None and upload.filename else None
    )
    if isinstance(outcome, transfer_forms.BatchForm):
        return _batch_page(outcome, status=400)
    return _after_submit(outcome)
