"""Links of the two-pane file manager: each changes one pane's query arguments, keeping the other.

The panes' state itself (which arguments belong to which pane, and loading them) is the service
layer's: app/services/panes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from flask import url_for

from app.services.panes import state_args


def query_url(base: str, args: Mapping[str, Any]) -> str:
    """`base` with `args` as a percent-encoded query string (names and paths are data, never syntax)."""
    return f"{base}?{urlencode(args, quote_via=quote)}" if args else base


def url_builder(args: Mapping[str, str]) -> Callable[..., str]:
    """A function `(side, **changes)` giving the panes URL with one pane's arguments changed.

    A change to None removes the argument; changing the collection or folder resets paging.
    """
    current = state_args(args)
    base = url_for("browse.panes")

    def build(side: str, **changes: Any) -> str:
        merged = dict(current)
        if "collection" in changes or "path" in changes:
            merged.pop(f"{side}_offset", None)
        if "collection" in changes:
            for key in ("path", "filter", "q", "scope"):
                merged.pop(f"{side}_{key}", None)
        for key, value in changes.items():
            name = side if key == "collection" else f"{side}_{key}"
            if value is None or value == "":
                merged.pop(name, None)
            else:
                merged[name] = str(value)
        return query_url(base, merged)

    return build


def rename_link(collection_id: str, folder: str, back: str) -> Callable[[str], str]:
    """Rename-form URLs for the entries of a pane's folder, coming back to the two-pane view."""
    prefix = query_url(url_for("browse.rename_form", collection_id=collection_id), {"path": folder, "back": back})
    return lambda name: prefix + "&name=" + quote(name, safe="")


def pane_links(build: Callable[..., str], side: str) -> dict[str, Callable[..., str]]:
    """URL builders for one pane's listing (folders, pages, sorting), keeping the other pane as is."""
    return {
        "folder_url": lambda path: build(side, path=path, offset=None, filter=None),
        "page_url": lambda offset: build(side, offset=offset or None),
        "sort_url": lambda field, order: build(
            side, sort=field if field != "name" else None, order=order if order == "desc" else None, offset=None
        ),
    }
