"""File manager actions: make folder, rename, and delete (confirmation first, then a delete task)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.auth.access import login_required, signed_in_user_id
from app.browse import bp
from app.browse.views import render_folder
from app.services import collections, files, paths
from app.services.errors import refusable
from app.services.submissions import new_form_token, token_after

# Refusals a user can fix on the same page (a bad name, an existing name, no write access) are
# shown there, each with its own status (400, 403, 409) so the page says what kind of refusal it is.


def _folder_url(collection_id: str, path: str) -> str:
    return url_for("browse.folder", collection_id=collection_id, path=path)


@bp.post("/<collection_id>/mkdir")
@login_required
def make_folder(collection_id: str):
    """Create a folder inside the current folder and open the folder page again."""
    parent = request.form.get("path", "")
    name = request.form.get("name", "")
    with refusable() as refused:
        created = files.make_folder(signed_in_user_id(), collection_id, parent, name)
    if refused.error:
        return render_folder(
            collection_id,
            status=refused.error.status_code,
            form_errors={"mkdir": refused.error.message},
            form_values={"mkdir": name},
            source={"path": parent},
        )
    flash(f"Folder “{paths.base_name(created)}” created.", "success")
    return redirect(_folder_url(collection_id, parent))


@bp.get("/<collection_id>/rename")
@login_required
def rename_form(collection_id: str):
    """The rename form for one entry of a folder."""
    collection = collections.get_collection(signed_in_user_id(), collection_id)
    folder = paths.normalize_directory(request.args.get("path"))
    name = paths.validate_name(request.args.get("name"), field="name")
    return render_template(
        "browse/rename.html", collection=collection, folder=folder, old_name=name, new_name=name, error=None
    )


@bp.post("/<collection_id>/rename")
@login_required
def rename(collection_id: str):
    """Rename one entry, then show its folder."""
    user_id = signed_in_user_id()
    folder = request.form.get("path", "")
    old_name = request.form.get("old_name", "")
    new_name = request.form.get("new_name", "")
    with refusable() as refused:
        files.rename_entry(user_id, collection_id, folder, old_name, new_name)
    if refused.error:
        collection = collections.get_collection(user_id, collection_id)
        body = render_template(
            "browse/rename.html",
            collection=collection,
            folder=folder,
            old_name=old_name,
            new_name=new_name,
            error=refused.error.message,
        )
        return make_response(body, refused.error.status_code)
    flash(f"Renamed “{old_name}” to “{new_name}”.", "success")
    return redirect(_folder_url(collection_id, paths.normalize_directory(folder)))


def _selection() -> tuple[list[str], list[str]]:
    return request.form.getlist("file"), request.form.getlist("dir")


@bp.post("/<collection_id>/delete/confirm")
@login_required
def confirm_delete(collection_id: str):
    """List exactly what a delete would remove (with a look inside folders) before doing it."""
    user_id = signed_in_user_id()
    folder = request.form.get("path", "")
    chosen_files, chosen_dirs = _selection()
    with refusable() as refused:
        plan = files.plan_deletion(user_id, collection_id, folder, chosen_files, chosen_dirs)
    if refused.error:
        return render_folder(
            collection_id,
            status=refused.error.status_code,
            form_errors={"selection": refused.error.message},
            source={"path": folder},
        )
    collection = collections.get_collection(user_id, collection_id)
    return render_template(
        "browse/delete_confirm.html",
        collection=collection,
        plan=plan,
        form_token=new_form_token(),
        label=f"Delete from {collection.display_name}"[:128],
        error=None,
    )


@bp.post("/<collection_id>/delete")
@login_required
def delete(collection_id: str):
    """Submit the confirmed delete as a Transfer delete task (at most once) and follow it."""
    user_id = signed_in_user_id()
    folder = request.form.get("path", "")
    chosen_files, chosen_dirs = _selection()
    label = request.form.get("label", "")
    token = request.form.get("form_token")
    with refusable() as refused:
        submitted = files.submit_deletion(user_id, token, collection_id, folder, chosen_files, chosen_dirs, label)
    if refused.error:
        collection = collections.get_collection(user_id, collection_id)
        plan = files.DeletionPlan.as_selected(collection.id, folder, chosen_files, chosen_dirs)
        body = render_template(
            "browse/delete_confirm.html",
            collection=collection,
            plan=plan,
            form_token=token_after(refused.error, token),
            label=label,
            error=refused.error.message,
        )
        return make_response(body, 400)
    if submitted.reused:
        flash("This delete was already submitted; here is its task.", "info")
    else:
        flash("Delete task submitted.", "success")
    return redirect(url_for("tasks.detail", task_id=submitted.task_id))
