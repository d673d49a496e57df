"""Collection search, a collection's page, and the bookmark list (create, rename, delete)."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.auth.access import current_user_id, login_required
from app.browse.views import render_folder
from app.collections import bp
from app.services import collections
from app.services.errors import InvalidRequest, RemotePermissionDenied

FIXABLE = (InvalidRequest, RemotePermissionDenied)


@bp.get("/")
@login_required
def search():
    """Search collections by text within a scope; results are paged."""
    text = (request.args.get("q") or "").strip()
    scope = request.args.get("scope") or ("all" if text else "recently-used")
    results, error, status = None, None, 200
    if scope == "all" and not text:
        # Transfer cannot list "all" collections without words to match: ask for them, calmly.
        body = render_template("collections/search.html", text=text, scope=scope, scopes=collections.SEARCH_SCOPES,
                               results=None, error=None,
                               hint="Type some words from a collection's name, owner or description to search all collections.")
        return make_response(body, 200)
    try:
        offset = int(request.args.get("offset") or 0)
        results = collections.search(current_user_id(), text, scope, offset)
    except ValueError:
        error, status = "That page number is not valid.", 400
    except InvalidRequest as err:
        error, status = err.message, 400
    body = render_template("collections/search.html", text=text, scope=scope, scopes=collections.SEARCH_SCOPES,
                           results=results, error=error)
    return make_response(body, status)


@bp.get("/<collection_id>")
@login_required
def detail(collection_id: str):
    """What a collection is, who runs it, how to reach it, and the user's bookmarks on it."""
    user_id = current_user_id()
    collection = collections.get_collection(user_id, collection_id, fresh=True)
    marks = [mark for mark in collections.list_bookmarks(user_id) if mark.collection_id == collection.id]
    return render_template("collections/detail.html", collection=collection, bookmarks=marks,
                           consent=collections.data_access_consent(user_id, collection))


@bp.get("/bookmarks")
@login_required
def bookmarks():
    """Every bookmark of the user, with rename and delete."""
    return render_template("collections/bookmarks.html", bookmarks=collections.list_bookmarks(current_user_id()),
                           errors={}, values={})


def _bookmarks_page_with_error(bookmark_id: str, message: str, value: str):
    body = render_template("collections/bookmarks.html", bookmarks=collections.list_bookmarks(current_user_id()),
                           errors={bookmark_id: message}, values={bookmark_id: value})
    return make_response(body, 400)


@bp.post("/bookmarks")
@login_required
def create_bookmark():
    """Bookmark the folder the user is looking at, then return to it."""
    collection_id = request.form.get("collection_id", "")
    path = request.form.get("path", "")
    name = request.form.get("name", "")
    try:
        mark = collections.create_bookmark(current_user_id(), collection_id, path, name)
    except FIXABLE as err:
        return render_folder(collections.validate_collection_id(collection_id), status=400,
                             form_errors={"bookmark": err.message}, form_values={"bookmark": name},
                             source={"path": path})
    flash(f"Bookmarked as “{mark.name}”.", "success")
    return redirect(url_for("browse.folder", collection_id=mark.collection_id, path=mark.path))


@bp.post("/bookmarks/<bookmark_id>/rename")
@login_required
def rename_bookmark(bookmark_id: str):
    """Give a bookmark a new name."""
    name = request.form.get("name", "")
    try:
        collections.rename_bookmark(current_user_id(), bookmark_id, name)
    except FIXABLE as err:
        return _bookmarks_page_with_error(bookmark_id, err.message, name)
    flash(f"Bookmark renamed to “{name.strip()}”.", "success")
    return redirect(url_for("collections.bookmarks"))


@bp.post("/bookmarks/<bookmark_id>/delete")
@login_required
def delete_bookmark(bookmark_id: str):
    """Remove a bookmark (the folder stays)."""
    collections.delete_bookmark(current_user_id(), bookmark_id)
    flash("Bookmark removed. The folder itself was not touched.", "success")
    return redirect(url_for("collections.bookmarks"))
