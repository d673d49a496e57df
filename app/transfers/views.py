"""Transfer pages: review a two-pane selection with every option, batch lists, submission."""
from __future__ import annotations

import json
from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for

from app.auth.access import current_user_id, login_required
from app.browse.panes import state_args
from app.security.redirects import safe_next_path
from app.services import collections, transfers
from app.services.errors import InvalidRequest, RemotePermissionDenied
from app.services.submissions import Submitted, new_form_token
from app.transfers import bp

FIXABLE = (InvalidRequest, RemotePermissionDenied)
OTHER_SIDE = {"left": "right", "right": "left"}


def _after_submit(submitted: Submitted):
    if submitted.reused:
        flash("This transfer was already submitted; here is its task (no second copy was started).", "info")
    else:
        flash("Transfer submitted.", "success")
    return redirect(url_for("tasks.detail", task_id=submitted.task_id))


def _review_page(form: dict[str, Any], *, items: list[transfers.TransferItem], options: transfers.TransferOptions,
                 form_token: str, error: InvalidRequest | None = None):
    user_id = current_user_id()
    source = collections.get_collection(user_id, form["source"])
    destination = collections.get_collection(user_id, form["destination"])
    body = render_template(
        "transfers/review.html",
        source=source, destination=destination, source_path=form["source_path"],
        destination_path=form["destination_path"], items=items,
        items_json=json.dumps([item.document() for item in items]), options=options,
        form_token=form_token, error=error, back=safe_next_path(form.get("back")) or url_for("browse.panes"),
        sync_levels=transfers.SYNC_LEVELS,
    )
    return make_response(body, 400 if error else 200)


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
        "back": url_for("browse.panes", **state_args(request.form)),
    }
    if not form["source"] or not form["destination"]:
        flash("Open a collection in both panes first: the selection goes to the folder open in the other pane.", "error")
        return redirect(form["back"])
    chosen = [(name, False) for name in request.form.getlist(f"{side}_file")]
    chosen += [(name, True) for name in request.form.getlist(f"{side}_dir")]
    if not chosen:
        flash(f"Select files or folders in the {side} pane first.", "error")
        return redirect(form["back"])
    items = transfers.items_from_selection(form["source_path"], form["destination_path"], chosen)
    return _review_page(form, items=items, options=transfers.TransferOptions(), form_token=new_form_token())


@bp.post("/submit")
@login_required
def submit():
    """Submit the reviewed transfer once, however often the button is pressed or the page reloaded."""
    form = {key: request.form.get(key, "") for key in ("source", "destination", "source_path", "destination_path", "back")}
    token = request.form.get("form_token", "")
    try:
        raw_items = json.loads(request.form.get("items") or "null")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser allows
        raw_items = None
    items = transfers.items_from_document(raw_items)
    options = None
    try:
        options = transfers.parse_options(request.form)
        transfer = transfers.build_request(form["source"], form["destination"], items, options)
        submitted = transfers.submit_transfer(current_user_id(), token, transfer)
    except FIXABLE as err:
        if getattr(err, "field", None) == "form_token":
            token = new_form_token()
        return _review_page(form, items=items, options=options or _typed_options(), form_token=token, error=err)
    return _after_submit(submitted)


def _typed_options() -> transfers.TransferOptions:
    """The options as typed, for re-display when one of them was refused (nothing typed is lost)."""
    return transfers.TransferOptions(
        label=(request.form.get("label") or "")[: transfers.MAX_LABEL * 2],
        sync_level=request.form.get("sync_level") if request.form.get("sync_level") in transfers.SYNC_LEVELS else "",
        deadline=request.form.get("deadline") or "",
        exclude_rules=tuple((line.strip(), "") for line in (request.form.get("exclude_rules") or "").splitlines()
                            if line.strip()),
        flags=frozenset(name for name in transfers.BOOLEAN_OPTIONS if request.form.get(name)),
    )


def _batch_page(values: dict[str, str], options: transfers.TransferOptions, form_token: str,
                error: InvalidRequest | None = None, status: int = 200):
    line_errors = error.line_errors if isinstance(error, transfers.BatchListInvalid) else []
    body = render_template("transfers/batch.html", values=values, options=options, form_token=form_token,
                           error=error, line_errors=line_errors, sync_levels=transfers.SYNC_LEVELS)
    return make_response(body, status)


BATCH_FIELDS = ("source", "source_path", "destination", "destination_path", "batch")


@bp.get("/batch")
@login_required
def batch():
    """The batch form: two collections, two base folders and a list of `source destination` lines."""
    values = {key: request.args.get(key, "") for key in BATCH_FIELDS}
    return _batch_page(values, transfers.TransferOptions(), new_form_token())


def _uploaded_list() -> str | None:
    upload = request.files.get("batch_file")
    if upload is None or not upload.filename:
        return None
    raw = upload.read(transfers.MAX_BATCH_BYTES + 1)
    if len(raw) > transfers.MAX_BATCH_BYTES:
        raise InvalidRequest("The uploaded list is larger than 1 MB; split it into several transfers.", field="batch")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The uploaded list is not UTF-8 text.", field="batch") from None


@bp.post("/batch")
@login_required
def submit_batch():
    """Validate every line first; submit only a list with no errors, and only once."""
    values = {key: request.form.get(key, "") for key in BATCH_FIELDS}
    token = request.form.get("form_token", "")
    options = None
    try:
        uploaded = _uploaded_list()
        if uploaded is not None:
            values["batch"] = uploaded
        options = transfers.parse_options(request.form)
        items = transfers.parse_batch(values["batch"], values["source_path"], values["destination_path"])
        transfer = transfers.build_request(values["source"], values["destination"], items, options)
        submitted = transfers.submit_transfer(current_user_id(), token, transfer)
    except FIXABLE as err:
        if getattr(err, "field", None) == "form_token":
            token = new_form_token()
        return _batch_page(values, options or _typed_options(), token, err, status=400)
    return _after_submit(submitted)
