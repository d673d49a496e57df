"""Transfer pages: review a two-pane selection with every option, batch lists, submission."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.auth.access import login_required, signed_in_user_id
from app.browse.pane_urls import query_url
from app.security.redirects import safe_next_path
from app.services import transfer_forms, transfers
from app.services.batch_sources import MAX_CHECKED
from app.services.collection_chooser import chooser_state
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
    if submitted.note:
        flash(submitted.note, "info")
    return redirect(url_for("tasks.detail", task_id=submitted.task_id))


def review_page(review: transfer_forms.ReviewForm, back: str | None, *, resumed: str | None = None):
    """The review form (also shown by the resume page after a login, `resumed` saying why)."""
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
        resumed=resumed,
    )
    return make_response(body, 400 if review.error else 200)


def _pane_selection() -> tuple[dict[str, str], list[tuple[str, bool]], str]:
    """The two-pane form as a transfer: route and options, the names picked, and the way back."""
    side = request.form.get("direction", "left")
    if side not in OTHER_SIDE:
        raise InvalidRequest("Choose which pane to transfer from.", field="direction")
    other = OTHER_SIDE[side]
    form = {name: value for name, value in request.form.items() if name not in ("direction", "csrf_token")}
    form.update(
        {
            "source": request.form.get(side, ""),
            "source_path": request.form.get(f"{side}_path", ""),
            "destination": request.form.get(other, ""),
            "destination_path": request.form.get(f"{other}_path", ""),
        }
    )
    chosen = [(name, False) for name in request.form.getlist(f"{side}_file")]
    chosen += [(name, True) for name in request.form.getlist(f"{side}_dir")]
    back = url_for("browse.panes", **state_args(request.form))  # type: ignore[arg-type]  # str values only
    return form, chosen, back


def _missing_selection(form: dict[str, str], chosen: list[tuple[str, bool]], back: str):
    """A redirect back to the panes saying what is missing, or None when the selection is complete."""
    if not form["source"] or not form["destination"]:
        flash(
            "Open a collection in both panes first: the selection goes to the folder open in the other pane.", "error"
        )
        return redirect(back)
    if not chosen:
        flash(f"Select files or folders in the {request.form.get('direction', 'left')} pane first.", "error")
        return redirect(back)
    return None


@bp.post("/new")
@login_required
def review():
    """The transfer form for what was selected in one pane, towards the folder open in the other."""
    form, chosen, back = _pane_selection()
    missing = _missing_selection(form, chosen, back)
    if missing is not None:
        return missing
    return review_page(transfer_forms.review_selection(signed_in_user_id(), form, chosen), back)


@bp.post("/start")
@login_required
def start():
    """Start the transfer of a two-pane selection with the options set beside the panes (once per form)."""
    form, chosen, back = _pane_selection()
    missing = _missing_selection(form, chosen, back)
    if missing is not None:
        return missing
    outcome = transfer_forms.start_selection(signed_in_user_id(), form, chosen)
    if isinstance(outcome, transfer_forms.ReviewForm):
        return review_page(outcome, back)
    return _after_submit(outcome)


@bp.post("/submit")
@login_required
def submit():
    """Submit the reviewed transfer once, however often the button is pressed or the page reloaded."""
    outcome = transfer_forms.submit_review(signed_in_user_id(), request.form)
    if isinstance(outcome, transfer_forms.ReviewForm):
        return review_page(outcome, request.form.get("back"))
    return _after_submit(outcome)


def batch_page(batch: transfer_forms.BatchForm, status: int = 200, *, resumed: str | None = None):
    """The batch form (also shown by the resume page after a login, `resumed` saying why)."""
    body = render_template(
        "transfers/batch.html",
        values=batch.values,
        options=batch.options,
        form_token=batch.form_token,
        error=batch.error,
        line_errors=batch.line_errors,
        sync_levels=transfers.SYNC_LEVELS,
        resumed=resumed,
        choosers=batch.choosers,
        chooser_state=batch.chooser_state,
        max_checked=MAX_CHECKED,
    )
    return make_response(body, status)


@bp.get("/batch")
@login_required
def batch():
    """The batch form: two collections, two base folders and a list of `source destination` lines."""
    return batch_page(transfer_forms.batch_form(signed_in_user_id(), request.args))


@bp.get("/choose-collection")
@login_required
def batch_chooser():
    """A collection search typed in the batch form's chooser: the batch page with that search open."""
    return redirect(query_url(url_for("transfers.batch"), chooser_state(request.args)))


@bp.post("/batch")
@login_required
def submit_batch():
    """Validate every line first; submit only a list with no errors, and only once."""
    upload = request.files.get("batch_file")
    outcome = transfer_forms.submit_batch(
        signed_in_user_id(), request.form, upload.stream if upload is not None and upload.filename else None
    )
    if isinstance(outcome, transfer_forms.BatchForm):
        return batch_page(outcome, status=400)
    return _after_submit(outcome)
