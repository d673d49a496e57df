"""File manager pages: one folder of one collection, and the two-pane view."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from flask import make_response, render_template, request, url_for

from app.auth.access import login_required, signed_in_user_id
from app.browse import bp
from app.browse.pane_urls import pane_links, query_url, rename_link, url_builder
from app.services import collections, files, transfers
from app.services.panes import panes_page, state_args


def listing_args(page: files.FolderPage, **changes: Any) -> dict[str, Any]:
    """Query arguments reproducing a folder page, with some changed (None removes one)."""
    options = page.options
    args: dict[str, Any] = {
        "path": page.path,
        "sort": options.sort if options.sort != "name" else None,
        "order": "desc" if options.descending else None,
        "filter": options.name_filter or None,
        "hidden": "1" if options.show_hidden else None,
        "per_page": options.limit if options.limit != files.DEFAULT_PAGE_SIZE else None,
        "offset": options.offset or None,
    }
    args.update(changes)
    return {key: value for key, value in args.items() if value is not None}


def folder_links(collection_id: str, page: files.FolderPage) -> dict[str, Callable[..., str]]:
    """URL builders for a folder page: other folders, pages, sort orders and per-entry renames.

    The route part is built once with url_for; a 1,000-entry page then only encodes query strings.
    """
    folder_base = url_for("browse.folder", collection_id=collection_id)
    rename_prefix = (
        query_url(url_for("browse.rename_form", collection_id=collection_id), {"path": page.path}) + "&name="
    )

    def url(**changes: Any) -> str:
        return query_url(folder_base, listing_args(page, **changes))

    return {
        "folder_url": lambda path: url(path=path, offset=None, filter=None),
        "page_url": lambda offset: url(offset=offset or None),
        "sort_url": lambda field, order: url(
            sort=field if field != "name" else None, order=order if order == "desc" else None, offset=None
        ),
        "rename_url": lambda name: rename_prefix + quote(name, safe=""),
    }


def render_folder(
    collection_id: str,
    *,
    status: int = 200,
    form_errors: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
    source: Mapping[str, str] | None = None,
):
    """Render a folder page from query-like arguments (`source`), with optional inline form errors."""
    view = files.folder_view(signed_in_user_id(), collection_id, request.args if source is None else source)
    body = render_template(
        "browse/folder.html",
        collection=view.collection,
        page=view.page,
        typed_path=view.typed_path,
        path_error=view.error.message if view.error else None,
        access=view.access,
        form_errors=form_errors or {},
        form_values=form_values or {},
        sort_fields=files.SORT_FIELDS,
        page_sizes=files.PAGE_SIZES,
        **(folder_links(view.collection.id, view.page) if view.page else {}),
    )
    return make_response(body, view.error.status_code if view.error else status)


@bp.get("/<collection_id>")
@login_required
def folder(collection_id: str):
    """One page of a folder: sort, filter, hidden files, paging, breadcrumb, path box, actions."""
    return render_folder(collection_id)


@bp.get("/")
@login_required
def panes():
    """Two panes side by side: pick a collection and folder in each, select, transfer either way."""
    page = panes_page(signed_in_user_id(), request.args)
    build = url_builder(request.args)
    here = build("left")
    links = {}
    for pane in page.panes:
        links[pane.side] = pane_links(build, pane.side)
        if pane.collection and pane.page and not pane.access.read_only:
            links[pane.side]["rename_url"] = rename_link(pane.collection.id, pane.page.path, here)
    return render_template(
        "browse/panes.html",
        panes=page.panes,
        page_state=page,
        pane_url=build,
        here=here,
        links=links,
        state=state_args(request.args),
        scopes=collections.SEARCH_SCOPES,
        options=page.options,
        form_token=page.form_token,
        error=None,
        sync_levels=transfers.SYNC_LEVELS,
    )
