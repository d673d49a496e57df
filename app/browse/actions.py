"""File manager actions: make folder, rename, and delete (confirmation first, then a delete task)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.auth.access import login_required, signed_in_user_id
from app.browse import bp
from app.browse.views import render_folder
from app.security.redirects import safe_next_path
from app.services import file_forms, files, paths
from app.services.errors import refusable

# Refusals a user can fix on the same page (a bad name, an existing name, no write access) are
# shown there, each with its own status (400, 403, 409) so the page says what kind of refusal it is.


PANE_SIDES = ("left", "right")


def _folder_url(collection_id: str, path: str) -> str:
    return url_for("browse.folder", collection_id=collection_id, path=path)


def _back() -> str | None:
    """The page an action came from when it is not the folder page (the two-pane view)."""
    return safe_next_path(request.values.get("back"))


@bp.post("/<collection_id>/mkdir")
@login_required
def make_folder(collection_id: str):
    """Create a folder inside the current folder and open the folder page again."""
    parent = request.form.get("path", "")
    name = request.form.get("name", "")
    back = _back()
    with refusable() as refused:
        created = files.make_folder(signed_in_user_id(), collection_id, parent, name)
    if refused.error and back:
        # From a pane: the refusal is said on the two-pane page, above the panes.
        flash(f"Folder “{name}” was not created: {refused.error.message}", "error")
        return redirect(back)
    if refused.error:
        return render_folder(
            collection_id,
            status=refused.error.status_code,
            form_errors={"mkdir": refused.error.message},
            form_values={"mkdir": name},
            source={"path": parent},
        )
    flash(f"Folder “{paths.base_name(created)}” created.", "success")
    return redirect(back or _folder_url(collection_id, parent))


def _rename_page(form: file_forms.RenameForm):
    body = render_template(
        "browse/rename.html",
        collection=form.collection,
        folder=form.folder,
        old_name=form.old_name,
        new_name=form.new_name,
        error=form.error.message if form.error else None,
        back=_back(),
    )
    return make_response(body, form.error.status_code if form.error else 200)


@bp.get("/<collection_id>/rename")
@login_required
def rename_form(collection_id: str):
    """The rename form for one entry of a folder."""
    return _rename_page(
        file_forms.rename_form(signed_in_user_id(), collection_id, request.args.get("path"), request.args.get("name"))
    )


@bp.post("/<collection_id>/rename")
@login_required
def rename(collection_id: str):
    """Rename one entry, then show its folder."""
    outcome = file_forms.rename(
        signed_in_user_id(),
        collection_id,
        request.form.get("path", ""),
        request.form.get("old_name", ""),
        request.form.get("new_name", ""),
    )
    if isinstance(outcome, file_forms.RenameForm):
        return _rename_page(outcome)
    flash(f"Renamed “{outcome.old_name}” to “{outcome.new_name}”.", "success")
    return redirect(_back() or _folder_url(collection_id, outcome.folder))


def _prefix() -> str:
    # A pane's fields are named left_file, left_dir, left_path (or right_…): `side` says which.
    side = request.form.get("side")
    return f"{side}_" if side in PANE_SIDES else ""


def _selection() -> tuple[list[str], list[str]]:
    prefix = _prefix()
    return request.form.getlist(prefix + "file"), request.form.getlist(prefix + "dir")


def _delete_page(review: file_forms.DeletionReview, status: int = 200):
    body = render_template(
        "browse/delete_confirm.html",
        collection=review.collection,
        plan=review.plan,
        form_token=review.form_token,
        label=review.label,
        error=review.error.message if review.error else None,
        back=_back(),
    )
    return make_response(body, status)


@bp.post("/<collection_id>/delete/confirm")
@login_required
def confirm_delete(collection_id: str):
    """List exactly what a delete would remove (with a look inside folders) before doing it."""
    folder = request.form.get(_prefix() + "path", "")
    with refusable() as refused:
        review = file_forms.review_deletion(signed_in_user_id(), collection_id, folder, *_selection())
        return _delete_page(review)
    back = _back()
    if back and refused.error:
        flash(refused.error.message, "error")
        return redirect(back)
    # A selection that cannot be deleted is explained on the folder page it came from.
    return render_folder(
        collection_id,
        status=refused.error.status_code if refused.error else 400,
        form_errors={"selection": refused.error.message if refused.error else ""},
        source={"path": folder},
    )


@bp.post("/<collection_id>/delete")
@login_required
def delete(collection_id: str):
    """Submit the confirmed delete as a Transfer delete task (at most once) and follow it."""
    outcome = file_forms.submit_deletion(
        signed_in_user_id(),
        collection_id,
        request.form.get("path", ""),
        *_selection(),
        request.form.get("label", ""),
        request.form.get("form_token"),
    )
    if isinstance(outcome, file_forms.DeletionReview):
        return _delete_page(outcome, status=400)
    if outcome.reused:
        flash("This delete was already submitted; here is its task.", "info")
    else:
        flash("Delete task submitted.", "success")
    return redirect(url_for("tasks.detail", task_id=outcome.task_id))
