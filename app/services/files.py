"""The file manager's service: folder pages, make folder, rename, and what a delete would remove.

A listing is always one upstream page (limit/offset, sorted and filtered by Transfer), so a folder
of 100,000 entries costs the same memory as one of 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.services import access, collections, paths, submissions, transfers, user_clients
from app.services.errors import (
    CollectionUnavailable,
    DomainError,
    InvalidRequest,
    refusable,
)
from app.services.globus import transfer as upstream
from app.services.paging import parse_time

SORT_FIELDS = {"name": "name", "size": "size", "modified": "last_modified"}
PAGE_SIZES = (50, 100, 250, 1000)
DEFAULT_PAGE_SIZE = 100
MAX_OFFSET = 100_000
# Folders previewed on a delete confirmation, and names shown per folder.
MAX_PREVIEWED_FOLDERS = 20
PREVIEW_NAMES = 5


@dataclass(frozen=True)
class FileEntry:
    """One row of a folder listing."""

    name: str
    kind: str  # "dir" | "file" | "link"
    size: int
    last_modified: datetime | None
    permissions: str
    path: str

    @property
    def is_dir(self) -> bool:
        """True for folders."""
        return self.kind == "dir"


@dataclass(frozen=True)
class ListingOptions:
    """How a folder is shown: sort, direction, name filter, hidden files, page window."""

    sort: str = "name"
    descending: bool = False
    name_filter: str = ""
    show_hidden: bool = False
    offset: int = 0
    limit: int = DEFAULT_PAGE_SIZE

    @property
    def customised(self) -> bool:
        """True when the listing is not shown the default way (the options panel opens)."""
        return bool(
            self.name_filter
            or self.show_hidden
            or self.sort != "name"
            or self.descending
            or self.limit != DEFAULT_PAGE_SIZE
        )


@dataclass(frozen=True)
class FolderPage:
    """One page of a folder: the entries and what is needed to page, sort and navigate."""

    collection_id: str
    path: str
    entries: list[FileEntry]
    options: ListingOptions
    total: int | None
    has_next_page: bool
    crumbs: list[paths.Crumb] = field(default_factory=list)

    @property
    def parent(self) -> str | None:
        """The enclosing folder, or None at a root."""
        up = paths.parent_of(self.path)
        return None if up == self.path else up

    @property
    def first_shown(self) -> int:
        """1-based position of the first entry on this page (0 when empty)."""
        return self.options.offset + 1 if self.entries else 0

    @property
    def last_shown(self) -> int:
        """1-based position of the last entry on this page."""
        return self.options.offset + len(self.entries)

    @property
    def previous_offset(self) -> int | None:
        """Offset of the previous page, or None on the first."""
        if self.options.offset <= 0:
            return None
        return max(0, self.options.offset - self.options.limit)

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last."""
        return self.options.offset + self.options.limit if self.has_next_page else None

    @property
    def last_offset(self) -> int | None:
        """Offset of the final page when the total is known."""
        if not self.total:
            return None
        return ((self.total - 1) // self.options.limit) * self.options.limit


def parse_listing_options(args: Mapping[str, str]) -> ListingOptions:
    """Read sort/order/filter/hidden/offset/per_page from query arguments, with clear errors."""
    sort = args.get("sort") or "name"
    if sort not in SORT_FIELDS:
        raise InvalidRequest("Sort by name, size or modified.", field="sort")
    order = args.get("order") or "asc"
    if order not in ("asc", "desc"):
        raise InvalidRequest("Order is asc or desc.", field="order")
    name_filter = (args.get("filter") or "").strip()
    if "/" in name_filter or any(ord(c) < 32 for c in name_filter) or len(name_filter) > 255:
        raise InvalidRequest("A name filter is part of a name: no '/' or control characters.", field="filter")
    offset = _bounded_int(args.get("offset"), "offset", 0, MAX_OFFSET, 0)
    limit = _bounded_int(args.get("per_page"), "per_page", 1, max(PAGE_SIZES), DEFAULT_PAGE_SIZE)
    if limit not in PAGE_SIZES:
        raise InvalidRequest(f"Show {', '.join(map(str, PAGE_SIZES))} entries per page.", field="per_page")
    return ListingOptions(
        sort=sort,
        descending=order == "desc",
        name_filter=name_filter,
        show_hidden=args.get("hidden") in ("1", "on", "true"),
        offset=offset,
        limit=limit,
    )


def _bounded_int(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be a whole number.", field=name) from None
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}.", field=name)
    return value


def _name_filter_clause(text: str) -> str | None:
    if not text:
        return None
    # Plain text means "name contains"; text with wildcards is taken as the user's own pattern.
    pattern = text if any(c in text for c in "*?[") else f"*{text}*"
    return f"name:~{pattern}"


def _entry(directory: str, doc: dict) -> FileEntry:
    kind = doc.get("type") or "file"
    name = doc.get("name") or ""
    return FileEntry(
        name=name,
        kind=kind,
        size=int(doc.get("size") or 0),
        last_modified=parse_time(doc.get("last_modified")),
        permissions=doc.get("permissions") or "",
        path=directory + name + ("/" if kind == "dir" else ""),
    )


def list_folder(user_id: int, collection_id: str, raw_path: str | None, options: ListingOptions) -> FolderPage:
    """One page of a folder on a collection, sorted and filtered upstream."""
    path = paths.normalize_directory(raw_path)
    direction = "DESC" if options.descending else "ASC"
    # Folders first, then the chosen column: what people expect from a file manager.
    orderby = ["type ASC", f"{SORT_FIELDS[options.sort]} {direction}"]
    page = upstream.list_directory(
        user_clients.request_transfer_client(user_id),
        collection_id,
        path,
        limit=options.limit,
        offset=options.offset,
        orderby=orderby,
        name_filter=_name_filter_clause(options.name_filter),
        show_hidden=options.show_hidden,
    )
    entries = [_entry(path, doc) for doc in page.get("DATA", [])]
    total = page.get("total")
    has_next = page.get("has_next_page")
    if has_next is None:
        has_next = total is not None and options.offset + len(entries) < int(total)
    return FolderPage(
        collection_id=collection_id,
        path=path,
        entries=entries,
        options=options,
        total=int(total) if total is not None else None,
        has_next_page=bool(has_next),
        crumbs=paths.breadcrumbs(path),
    )


@dataclass(frozen=True)
class FolderView:
    """A folder page: the collection, the path as typed, and the listing or why it was refused."""

    collection: collections.Collection
    typed_path: str
    page: FolderPage | None = None
    error: DomainError | None = None
    access: access.FolderAccess = access.UNKNOWN


def folder_view(user_id: int, collection_id: str, args: Mapping[str, str]) -> FolderView:
    """A folder page for query-like arguments; a refusal the user can fix is kept to show by the path box."""
    collection = collections.get_collection(user_id, collection_id)
    raw_path = args.get("path") or collection.start_path
    # A typed path, a hand-edited URL, a file where a folder was expected, or a folder the storage
    # will not open: said beside the path box, with what was typed kept.
    with refusable() as refused:
        try:
            page = list_folder(user_id, collection.id, raw_path, parse_listing_options(args))
        except CollectionUnavailable as err:
            # Transfer cannot name the collection in its answer; this page knows it.
            raise err.naming(collection.display_name) from err
        return FolderView(collection, raw_path, page=page, access=access.folder_access(user_id, collection, page.path))
    return FolderView(collection, raw_path, error=refused.error)


def make_folder(user_id: int, collection_id: str, raw_parent: str | None, name: str) -> str:
    """Create folder `name` inside a folder; returns the new folder's path."""
    parent = paths.normalize_directory(raw_parent)
    new_path = paths.join(parent, name) + "/"
    with access.explained_refusal(user_id, parent, "make a folder"):
        upstream.make_directory(user_clients.request_transfer_client(user_id), collection_id, new_path)
    return new_path


def rename_entry(user_id: int, collection_id: str, raw_parent: str | None, old_name: str, new_name: str) -> str:
    """Rename one entry of a folder; returns its new path."""
    parent = paths.normalize_directory(raw_parent)
    old_path = paths.join(parent, paths.validate_name(old_name, field="old_name"))
    new_path = paths.join(parent, paths.validate_name(new_name, field="new_name"))
    if old_path == new_path:
        raise InvalidRequest("The new name is the same as the old one.", field="new_name")
    with access.explained_refusal(user_id, parent, "rename"):
        upstream.rename_path(user_clients.request_transfer_client(user_id), collection_id, old_path, new_path)
    return new_path


@dataclass(frozen=True)
class DeletionItem:
    """A selected entry on a delete confirmation, with a glimpse inside folders."""

    name: str
    path: str
    is_dir: bool
    contents_total: int | None = None
    contents_sample: list[str] = field(default_factory=list)
    previewed: bool = False


@dataclass(frozen=True)
class DeletionPlan:
    """Everything a delete confirmation lists before anything is removed."""

    collection_id: str
    folder: str
    items: list[DeletionItem]

    @classmethod
    def as_selected(
        cls, collection_id: str, raw_parent: str | None, files: list[str], folders: list[str]
    ) -> DeletionPlan:
        """The selection as picked, without a look inside, to show a refused delete again."""
        items = [DeletionItem(name=n, path="", is_dir=False) for n in files]
        items += [DeletionItem(name=n, path="", is_dir=True) for n in folders]
        return cls(collection_id=collection_id, folder=paths.normalize_directory(raw_parent), items=items)

    @property
    def folder_count(self) -> int:
        """How many selected entries are folders."""
        return sum(1 for item in self.items if item.is_dir)


def selection_items(raw_parent: str | None, files: list[str], folders: list[str]) -> tuple[str, list[tuple[str, bool]]]:
    """Validate a multi-selection (names inside one folder); returns the folder and (name, is_dir)."""
    parent = paths.normalize_directory(raw_parent)
    chosen = [(paths.validate_name(n, field="file"), False) for n in files]
    chosen += [(paths.validate_name(n, field="dir"), True) for n in folders]
    if not chosen:
        raise InvalidRequest("Select at least one file or folder first.", field="selection")
    seen: set[str] = set()
    unique = []
    for name, is_dir in chosen:
        if name not in seen:
            seen.add(name)
            unique.append((name, is_dir))
    return parent, unique


def plan_deletion(
    user_id: int, collection_id: str, raw_parent: str | None, files: list[str], folders: list[str]
) -> DeletionPlan:
    """What deleting the selection would remove: each entry, and for folders a count and sample."""
    parent, chosen = selection_items(raw_parent, files, folders)
    client = user_clients.request_transfer_client(user_id)
    items: list[DeletionItem] = []
    previewed = 0
    for name, is_dir in chosen:
        path = parent + name + ("/" if is_dir else "")
        if not is_dir or previewed >= MAX_PREVIEWED_FOLDERS:
            items.append(DeletionItem(name=name, path=path, is_dir=is_dir))
            continue
        previewed += 1
        page = upstream.list_directory(
            client,
            collection_id,
            path,
            limit=PREVIEW_NAMES,
            offset=0,
            orderby=["name ASC"],
            name_filter=None,
            show_hidden=True,
        )
        sample = [doc.get("name", "") for doc in page.get("DATA", [])]
        total = page.get("total")
        items.append(
            DeletionItem(
                name=name,
                path=path,
                is_dir=True,
                previewed=True,
                contents_total=int(total) if total is not None else None,
                contents_sample=sample,
            )
        )
    return DeletionPlan(collection_id=collection_id, folder=parent, items=items)


def submit_deletion(
    user_id: int,
    form_token: str | None,
    collection_id: str,
    raw_parent: str | None,
    files: list[str],
    folders: list[str],
    label: str,
) -> submissions.Submitted:
    """Delete a confirmed selection as one Transfer delete task, at most once per form token."""
    parent, chosen = selection_items(raw_parent, files, folders)
    with access.explained_refusal(user_id, parent, "delete"):
        return transfers.submit_deletion(user_id, form_token, collection_id, raw_parent, chosen, label)
