"""The collection chooser of the batch form: the file manager's picker (search, recently used,
bookmarks) for one side, or the collection chosen there — never a raw id to paste.

Its state travels in the batch page's query arguments (`source`, `source_path`, `source_q`, …),
as the two-pane view's does, so each choice is a plain link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.services import collections
from app.services.errors import DomainError, InvalidRequest, ReauthenticationRequired

SIDES = ("source", "destination")
CHOOSER_KEYS = ("", "_path", "_q")


@dataclass(frozen=True)
class Chooser:
    """One side of the batch form: the chosen collection, or what to choose from (and what failed)."""

    side: str
    collection: collections.Collection | None = None
    error: str | None = None
    text: str = ""
    results: list[collections.Collection] = field(default_factory=list)
    bookmarks: list[collections.Bookmark] = field(default_factory=list)
    pick_error: str | None = None

    @property
    def label(self) -> str:
        """'Source' or 'Destination'."""
        return self.side.title()


def chooser_state(args: Mapping[str, str]) -> dict[str, str]:
    """The query arguments of both choosers, to carry along in their links."""
    return {f"{side}{key}": args[f"{side}{key}"] for side in SIDES for key in CHOOSER_KEYS if args.get(f"{side}{key}")}


def choosers(user_id: int, args: Mapping[str, str]) -> dict[str, Chooser]:
    """Both choosers for query-like arguments (the bookmarks are read once for the two)."""
    marks: list[collections.Bookmark] | None = None
    marks_error = None
    found: dict[str, Chooser] = {}
    for side in SIDES:
        chosen = (args.get(side) or "").strip()
        if chosen:
            found[side] = _chosen(user_id, side, chosen)
            continue
        if marks is None:
            try:
                marks = collections.list_bookmarks(user_id)
            except ReauthenticationRequired:
                raise
            except DomainError as err:
                marks, marks_error = [], err.message
        found[side] = _picker(user_id, side, (args.get(f"{side}_q") or "").strip(), marks, marks_error)
    return found


def _chosen(user_id: int, side: str, collection_id: str) -> Chooser:
    try:
        return Chooser(side, collection=collections.get_collection(user_id, collection_id))
    except ReauthenticationRequired:
        raise
    except DomainError as err:
        return Chooser(side, error=err.message)


def _picker(user_id: int, side: str, text: str, marks: list[collections.Bookmark], marks_error: str | None) -> Chooser:
    try:
        page = collections.search(user_id, text, "all" if text else "recently-used")
    except InvalidRequest as err:
        return Chooser(side, text=text, bookmarks=marks, pick_error=err.message)
    except ReauthenticationRequired:
        raise
    except DomainError as err:
        return Chooser(side, text=text, bookmarks=marks, pick_error=err.message)
    return Chooser(side, text=text, results=page.results, bookmarks=marks, pick_error=marks_error)
