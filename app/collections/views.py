"""Collection search, a collection's page, and the bookmark list (create, rename, delete)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from app.auth.access import login_required, signed_in_user_id
from app.browse.views import render_folder
from app.collections import bp
from app.services import collections
from app.services.errors import refusable


@bp.get("/")
@login_required
def search():
    """Search collections by text within a scope; results are paged."""
    found = collections.find_collections(
        signed_in_user_id(), request.args.get("q"), request.args.get("scope"), request.args.get("offset")
    )
    body = render_template(
        "collections/search.html",
        text=found.text,
        scope=found.scope,
        form_scope=found.scope if found.scope_chosen else "all",
        scopes=collections.SEARCH_SCOPES,
        results=found.results,
        error=found.error,
        hint=found.hint,
    )
    return make_response(body, 400 if found.error else 200)


@bp.get("/<collection_id>")
@login_required
def detail(collection_id: str):
    """What a collection is, who runs it, how to reach it, and the user's bookmarks on it."""
    page = collections.collection_page(signed_in_user_id(), collection_id)
    return render_template(
        "collections/detail.html", collection=page.collection, bookmarks=page.bookmarks, consent=page.consent
    )


@bp.get("/bookmarks")
@login_required
def bookmarks():
    """Every bookmark of the user, with rename and delete."""
    return render_template(
        "collections/bookmarks.html", bookmarks=collections.list_bookmarks(signed_in_user_id()), errors={}, values={}
    )


def _bookmarks_page_with_error(bookmark_id: str, message: str, value: str):
    body = render_template(
        "collections/bookmarks.html",
        bookmarks=collections.list_bookmarks(signed_in_user_id()),
        errors={bookmark_id: message},
        values={bookmark_id: value},
    )
    return make_response(body, 400)


@bp.post("/bookmarks")
@login_required
def create_bookmark():
    """Bookmark the folder the user is looking at, then return to it."""
    collection_id = request.form.get("collection_id", "")
    path = request.form.get("path", "")
    name = request.form.get("name", "")
    with refusable() as refused:
        mark = collections.create_bookmark(signed_in_user_id(), collection_id, path, name)
    if refused.error:
        return render_folder(
            collections.validate_collection_id(collection_id),
            status=400,
            form_errors={"bookmark": refused.error.message},
            form_values={"bookmark": name},
            source={"path": path},
        )
    flash(f"Bookmarked as “{mark.name}”.", "success")
    return redirect(url_for("browse.folder", collection_id=mark.collection_id, path=mark.path))


@bp.post("/bookmarks/<bookmark_id>/rename")
@login_required
def rename_bookmark(bookmark_id: str):
    """Give a bookmark a new name."""
    name = request.form.get("name", "")
    with refusable() as refused:
        collections.rename_bookmark(signed_in_user_id(), bookmark_id, name)
    if refused.error:
        return _bookmarks_page_with_error(bookmark_id, refused.error.message, name)
    flash(f"Bookmark renamed to “{name.strip()}”.", "success")
    return redirect(url_for("collections.bookmarks"))


@bp.post("/bookmarks/<bookmark_id>/delete")
@login_required
def delete_bookmark(bookmark_id: str):
    """Remove a bookmark (the folder stays)."""
    collections.delete_bookmark(signed_in_user_id(), bookmark_id)
    flash("Bookmark removed. The folder itself was not touched.", "success")
    return redirect(url_for("collections.bookmarks"))
