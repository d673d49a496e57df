"""Two file-manager panes on one page: each pane's state lives in prefixed query arguments.

`left=<collection>&left_path=/~/data/&left_sort=size&right=...` — so every link, bookmark and
browser back button reproduces exactly what was on screen, and one pane can fail (shown inline
with a retry link) while the other keeps working. This module reads that state and fills both
panes; app/browse/pane_urls.py builds the links that change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.services import access, collections, files
from app.services.errors import InvalidRequest, RemoteNotFound, RemotePermissionDenied, RemoteUnavailable
from app.services.submissions import new_form_token
from app.services.transfers import TransferOptions

SIDES = ("left", "right")
PANE_KEYS = ("", "path", "sort", "order", "filter", "hidden", "offset", "per_page", "q", "scope")
PANE_ERRORS = (InvalidRequest, RemoteNotFound, RemotePermissionDenied, RemoteUnavailable)


def pane_args(args: Mapping[str, str], side: str) -> dict[str, str]:
    """The query arguments of one pane, without their prefix ("collection" for the bare key)."""
    found = {}
    for key in PANE_KEYS:
        value = args.get(f"{side}_{key}" if key else side)
        if value:
            found[key or "collection"] = value
    return found


def state_args(args: Mapping[str, str]) -> dict[str, str]:
    """Every pane argument of the current page (what links must carry along)."""
    kept = {}
    for side in SIDES:
        for key in PANE_KEYS:
            name = f"{side}_{key}" if key else side
            if args.get(name):
                kept[name] = args[name]
    return kept


@dataclass
class Pane:
    """What one pane shows: a folder page, or a collection picker, or an inline error."""

    side: str
    args: dict[str, str]
    collection: collections.Collection | None = None
    page: files.FolderPage | None = None
    error: str | None = None
    search: collections.SearchPage | None = None
    search_error: str | None = None
    bookmarks: list[collections.Bookmark] = field(default_factory=list)
    bookmarks_error: str | None = None
    access: access.FolderAccess = access.UNKNOWN

    @property
    def label(self) -> str:
        """'Left' or 'Right', for headings and screen-reader labels."""
        return self.side.title()


@dataclass(frozen=True)
class PanesPage:
    """The two-pane page: both panes, and the transfer form beside them (default options, one-time token)."""

    panes: list[Pane]
    form_token: str
    options: TransferOptions

    def writable(self, side: str) -> bool:
        """True unless Transfer said the folder open on `side` is read-only for this user."""
        pane = next(pane for pane in self.panes if pane.side == side)
        return not pane.access.read_only


def panes_page(user_id: int, args: Mapping[str, str]) -> PanesPage:
    """Both panes for query arguments, with a fresh token for the transfer form under them."""
    return PanesPage(panes=load_panes(user_id, args), form_token=new_form_token(), options=TransferOptions())


def load_panes(user_id: int, args: Mapping[str, str]) -> list[Pane]:
    """Fill both panes; upstream failures become inline messages (consent still goes to login)."""
    panes = [Pane(side=side, args=pane_args(args, side)) for side in SIDES]
    pickers = [pane for pane in panes if not pane.args.get("collection")]
    bookmarks: list[collections.Bookmark] = []
    bookmarks_error = None
    if pickers:
        try:
            bookmarks = collections.list_bookmarks(user_id)
        except PANE_ERRORS as err:
            bookmarks_error = err.message
    for pane in panes:
        if pane in pickers:
            pane.bookmarks, pane.bookmarks_error = bookmarks, bookmarks_error
            _load_picker(user_id, pane)
        else:
            _load_folder(user_id, pane)
    return panes


def _load_folder(user_id: int, pane: Pane) -> None:
    try:
        pane.collection = collections.get_collection(user_id, pane.args["collection"])
        options = files.parse_listing_options(pane.args)
        path = pane.args.get("path") or pane.collection.start_path
        pane.page = files.list_folder(user_id, pane.collection.id, path, options)
        pane.access = access.folder_access(user_id, pane.collection, pane.page.path)
    except PANE_ERRORS as err:
        pane.error = err.message


def _load_picker(user_id: int, pane: Pane) -> None:
    text = pane.args.get("q", "")
    scope = pane.args.get("scope") or ("all" if text else "recently-used")
    try:
        pane.search = collections.search(user_id, text, scope)
    except PANE_ERRORS as err:
        pane.search_error = err.message
