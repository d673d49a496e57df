"""Collections for researchers: search by text and scope, one collection's details, bookmarks."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from app.services import paths, token_records, user_clients
from app.services.errors import InvalidRequest
from app.services.globus import transfer as upstream
from app.services.globus.scopes import dependent_scope_strings
from app.services.paging import OffsetPaging, parse_offset

# The filter scopes of Transfer's endpoint_search, with the words the search form shows.
SEARCH_SCOPES = {
    "my-endpoints": "Mine",
    "shared-with-me": "Shared with me",
    "recently-used": "Recently used",
    "administered-by-me": "Administered by me",
    "all": "All",
}
SEARCH_PAGE_SIZE = 25
# Transfer stops endpoint_search at 1,000 results; paging past that only returns errors.
SEARCH_RESULT_LIMIT = 1000
ENTITY_TYPE_LABELS = {
    "GCSv5_mapped_collection": "Mapped collection (Globus Connect Server)",
    "GCSv5_guest_collection": "Guest collection (Globus Connect Server)",
    "GCP_mapped_collection": "Personal collection (Globus Connect Personal)",
    "GCP_guest_collection": "Guest collection on a personal computer",
    "GCSv5_endpoint": "Globus Connect Server endpoint",
}
# How long a collection document is reused for the same user: pages that show a collection's
# name call this on every request, and names change rarely.
COLLECTION_CACHE_SECONDS = 30
COLLECTION_CACHE_SIZE = 2048
MAX_BOOKMARK_NAME = 128
# Transfer cannot list "all" collections without words to match: the search page asks for them, calmly.
SEARCH_ALL_HINT = "Type some words from a collection's name, owner or description to search all collections."


@dataclass(frozen=True)
class Collection:
    """What the portal shows about a collection."""

    id: str
    display_name: str
    owner: str
    entity_type: str
    description: str
    organization: str
    department: str
    contact_email: str
    keywords: str
    https_server: str | None
    high_assurance: bool
    host_collection_id: str | None
    default_directory: str | None
    # The caller's roles on it as Transfer reports them (my_effective_roles): administrator,
    # access_manager, activity_manager, activity_monitor.
    my_roles: tuple[str, ...] = ()

    @property
    def type_label(self) -> str:
        """The kind of collection in words."""
        return ENTITY_TYPE_LABELS.get(self.entity_type, self.entity_type or "Collection")

    @property
    def uses_data_access_consent(self) -> bool:
        """True when Globus asks users to consent to `data_access` before the portal may use it.

        Globus' own rule: mapped GCSv5 collections that are not high assurance have that scope.
        """
        return self.entity_type == "GCSv5_mapped_collection" and not self.high_assurance

    @property
    def start_path(self) -> str:
        """The folder to open first."""
        return paths.normalize_directory(self.default_directory) if self.default_directory else paths.HOME


@dataclass(frozen=True)
class SearchPage(OffsetPaging):
    """One page of collection search results."""

    text: str
    scope: str
    offset: int
    limit: int
    results: list[Collection]
    has_next_page: bool


@dataclass(frozen=True)
class Bookmark:
    """A named folder on a collection."""

    id: str
    name: str
    collection_id: str
    path: str


def _collection(doc: dict) -> Collection:
    return Collection(
        id=str(doc.get("id") or ""),
        display_name=doc.get("display_name") or doc.get("canonical_name") or str(doc.get("id") or ""),
        owner=doc.get("owner_string") or "",
        entity_type=doc.get("entity_type") or "",
        description=doc.get("description") or "",
        organization=doc.get("organization") or "",
        department=doc.get("department") or "",
        contact_email=doc.get("contact_email") or "",
        keywords=doc.get("keywords") or "",
        https_server=doc.get("https_server") or None,
        high_assurance=bool(doc.get("high_assurance")),
        host_collection_id=doc.get("host_endpoint_id") or None,
        default_directory=doc.get("default_directory") or None,
        my_roles=tuple(str(role) for role in doc.get("my_effective_roles") or () if isinstance(role, str)),
    )


@dataclass(frozen=True)
class CollectionSearch:
    """The search page: what was asked, and one page of results, or what to fix, or a hint."""

    text: str
    scope: str
    results: SearchPage | None = None
    error: str | None = None
    hint: str | None = None
    # False when no scope was asked for: the form then offers "All" (what a typed search means),
    # while the list below shows the recently used collections.
    scope_chosen: bool = field(default=True, compare=False)


def _needs_words(text: str, scope: str) -> bool:
    return scope == "all" and not text


def find_collections(user_id: int, text: str | None, scope: str | None, raw_offset: str | None) -> CollectionSearch:
    """The search page for query arguments: results, a refusal to show beside the form, or a hint."""
    text = (text or "").strip()
    chosen = bool(scope)
    scope = scope or ("all" if text else "recently-used")
    if _needs_words(text, scope):
        return CollectionSearch(text, scope, hint=SEARCH_ALL_HINT)
    try:
        results = search(user_id, text, scope, parse_offset(raw_offset))
    except InvalidRequest as err:
        return CollectionSearch(text, scope, error=err.message, scope_chosen=chosen)
    return CollectionSearch(text, scope, results=results, scope_chosen=chosen)


def search(user_id: int, text: str, scope: str, offset: int = 0) -> SearchPage:
    """One page of collections matching `text` within a scope (mine, shared, recent, admin, all)."""
    text = (text or "").strip()
    if scope not in SEARCH_SCOPES:
        raise InvalidRequest("Choose where to search: " + ", ".join(SEARCH_SCOPES.values()) + ".", field="scope")
    if _needs_words(text, scope):
        raise InvalidRequest("Type some words to search all collections.", field="q")
    if len(text) > 200:
        raise InvalidRequest("Search text is limited to 200 characters.", field="q")
    if offset < 0 or offset >= SEARCH_RESULT_LIMIT:
        raise InvalidRequest("Globus returns at most the first 1,000 matches; refine the search.", field="offset")
    limit = min(SEARCH_PAGE_SIZE, SEARCH_RESULT_LIMIT - offset)
    page = upstream.search_collections(
        user_clients.request_transfer_client(user_id), text=text, scope=scope, limit=limit, offset=offset
    )
    results = [_collection(doc) for doc in page.get("DATA", [])]
    for result in results:
        _cache.put(user_id, result)
    has_next = bool(page.get("has_next_page")) and offset + limit < SEARCH_RESULT_LIMIT
    return SearchPage(text=text, scope=scope, offset=offset, limit=limit, results=results, has_next_page=has_next)


class _CollectionCache:
    """A small per-process, per-user cache of collection documents with a short lifetime."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[int, str], tuple[float, Collection]] = {}

    def get(self, user_id: int, collection_id: str) -> Collection | None:
        with self._lock:
            hit = self._items.get((user_id, collection_id))
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, user_id: int, collection: Collection) -> None:
        with self._lock:
            if len(self._items) >= COLLECTION_CACHE_SIZE:
                now = time.monotonic()
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
                if len(self._items) >= COLLECTION_CACHE_SIZE:
                    self._items.clear()
            self._items[(user_id, collection.id)] = (time.monotonic() + COLLECTION_CACHE_SECONDS, collection)


_cache = _CollectionCache()


def get_collection(user_id: int, collection_id: str, *, fresh: bool = False) -> Collection:
    """One collection's details (reused for a few seconds per user unless `fresh`)."""
    collection_id = validate_collection_id(collection_id)
    if not fresh:
        cached = _cache.get(user_id, collection_id)
        if cached:
            return cached
    collection = _collection(upstream.get_collection(user_clients.request_transfer_client(user_id), collection_id))
    _cache.put(user_id, collection)
    return collection


def validate_collection_id(raw: str | None, *, field: str = "collection") -> str:
    """A collection (or bookmark) id as Transfer expects it: a UUID, or a clear error."""
    try:
        return str(uuid.UUID(str(raw or "").strip()))
    except ValueError:
        raise InvalidRequest("That is not a valid id (a UUID such as 1c0e4a0f-…).", field=field) from None


def list_bookmarks(user_id: int) -> list[Bookmark]:
    """The user's bookmarks, by name."""
    docs = upstream.list_bookmarks(user_clients.request_transfer_client(user_id))
    marks = [
        Bookmark(
            id=str(d.get("id")),
            name=d.get("name") or "",
            collection_id=str(d.get("endpoint_id")),
            path=d.get("path") or "/",
        )
        for d in docs
    ]
    return sorted(marks, key=lambda mark: mark.name.casefold())


def _bookmark_name(raw: str | None) -> str:
    name = (raw or "").strip()
    if not name:
        raise InvalidRequest("Give the bookmark a name.", field="name")
    if len(name) > MAX_BOOKMARK_NAME or any(ord(c) < 32 for c in name):
        raise InvalidRequest("Bookmark names are up to 128 printable characters.", field="name")
    return name


def create_bookmark(user_id: int, collection_id: str, raw_path: str | None, name: str | None) -> Bookmark:
    """Bookmark a folder on a collection under a name."""
    collection_id = validate_collection_id(collection_id)
    path = paths.normalize_directory(raw_path)
    doc = upstream.create_bookmark(
        user_clients.request_transfer_client(user_id), collection_id=collection_id, path=path, name=_bookmark_name(name)
    )
    return Bookmark(
        id=str(doc.get("id")), name=doc.get("name") or "", collection_id=collection_id, path=doc.get("path") or path
    )


def rename_bookmark(user_id: int, bookmark_id: str, name: str | None) -> None:
    """Give a bookmark a new name."""
    upstream.rename_bookmark(
        user_clients.request_transfer_client(user_id),
        validate_collection_id(bookmark_id, field="bookmark"),
        _bookmark_name(name),
    )


def delete_bookmark(user_id: int, bookmark_id: str) -> None:
    """Remove a bookmark (the folder itself is untouched)."""
    upstream.delete_bookmark(
        user_clients.request_transfer_client(user_id), validate_collection_id(bookmark_id, field="bookmark")
    )


@dataclass(frozen=True)
class CollectionPage:
    """A collection's page: its details, the user's bookmarks on it, and its data_access consent state."""

    collection: Collection
    bookmarks: list[Bookmark]
    consent: str | None


def collection_page(user_id: int, collection_id: str) -> CollectionPage:
    """What a collection's page shows, fresh from Transfer."""
    collection = get_collection(user_id, collection_id, fresh=True)
    marks = [mark for mark in list_bookmarks(user_id) if mark.collection_id == collection.id]
    return CollectionPage(collection, marks, data_access_consent(user_id, collection))


def data_access_consent(user_id: int, collection: Collection) -> str | None:
    """None if the collection needs no data_access consent, else "granted" or "needed" for this user."""
    if not collection.uses_data_access_consent:
        return None
    wanted = f"https://auth.globus.org/scopes/{collection.id}/data_access"
    for requested in token_records.requested_scopes(user_id):
        if wanted in dependent_scope_strings(requested):
            return "granted"
    return "needed"
