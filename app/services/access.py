"""What the user may do in a folder: read only, or change it too — asked of Transfer, cached briefly.

Transfer has no "my permissions here" field for a guest collection's folder (ACLs are visible only
to its managers), so the portal asks it the cheapest harmless question: the collection document's
`my_effective_roles` first (administrators and access managers may write everywhere), otherwise
a rename of a path that cannot exist (app/services/globus/transfer.py `probe_write`), which
Transfer refuses with 403 when the user may not write there and with 404 when they may. The answer
is kept for a minute per user, collection and folder, so browsing costs at most one extra call a
minute per folder; a refused action still explains itself if access changed in between.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from app.services import collections, paths, user_clients
from app.services.errors import (
    DomainError,
    ReauthenticationRequired,
    RemoteNotFound,
    RemotePermissionDenied,
    StoragePermissionDenied,
)
from app.services.globus import transfer as upstream

ACCESS_CACHE_SECONDS = 60
ACCESS_CACHE_SIZE = 4096
WRITE_ROLES = frozenset({"administrator", "access_manager"})
READ_ONLY_REASON = "You can read this collection, not change it."


@dataclass(frozen=True)
class FolderAccess:
    """Whether the user may change a folder: True, False, or None when Transfer would not say."""

    can_write: bool | None
    reason: str = ""

    @property
    def read_only(self) -> bool:
        """True only when Transfer said no (an unknown answer keeps the actions, which then explain a refusal)."""
        return self.can_write is False


WRITABLE = FolderAccess(can_write=True)
UNKNOWN = FolderAccess(can_write=None)


class _AccessCache:
    """Per-process answers by (user, collection, folder), each for ACCESS_CACHE_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[int, str, str], tuple[float, FolderAccess]] = {}

    def get(self, key: tuple[int, str, str]) -> FolderAccess | None:
        with self._lock:
            hit = self._items.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def put(self, key: tuple[int, str, str], access: FolderAccess) -> None:
        with self._lock:
            if len(self._items) >= ACCESS_CACHE_SIZE:
                now = time.monotonic()
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
                if len(self._items) >= ACCESS_CACHE_SIZE:
                    self._items.clear()
            self._items[key] = (time.monotonic() + ACCESS_CACHE_SECONDS, access)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if k[0] != user_id}


_cache = _AccessCache()


def folder_access(user_id: int, collection: collections.Collection, folder: str) -> FolderAccess:
    """May the user change `folder` on `collection` (make folders, rename, delete, transfer into it)?"""
    if WRITE_ROLES.intersection(collection.my_roles):
        return WRITABLE
    directory = paths.normalize_directory(folder)
    key = (user_id, collection.id, directory)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    access = _probe(user_id, collection.id, directory)
    if access.can_write is not None:
        _cache.put(key, access)
    return access


def _probe(user_id: int, collection_id: str, directory: str) -> FolderAccess:
    # A name no one has: a leading dot and 128 random bits.
    missing = f"{directory}.gateway-write-check-{secrets.token_hex(16)}"
    try:
        upstream.probe_write(user_clients.request_transfer_client(user_id), collection_id, missing)
    except RemotePermissionDenied:
        return FolderAccess(can_write=False, reason=READ_ONLY_REASON)
    except RemoteNotFound:
        return WRITABLE
    except ReauthenticationRequired:
        raise
    except DomainError:
        # Transfer or the storage did not answer the question (down, busy, odd refusal): keep the
        # actions; if one is refused, the refusal is explained where it happens.
        return UNKNOWN
    # A rename that succeeded would mean the random name existed: impossible in practice, and
    # harmless (it was renamed to a name of the same shape); it does prove write access.
    return WRITABLE


def forget(user_id: int) -> None:
    """Drop the cached answers of a user (after a refusal proved them wrong)."""
    _cache.forget_user(user_id)


class explained_refusal:  # noqa: N801 - reads as a phrase at call sites: `with explained_refusal(folder):`
    """Turn Transfer's "Denied by endpoint: <who> may not write '<path>' on <name> (<uuid>)" into plain words."""

    def __init__(self, user_id: int, folder: str, action: str):
        self.user_id = user_id
        self.folder = folder
        self.action = action

    def __enter__(self) -> explained_refusal:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        if isinstance(exc, RemotePermissionDenied):
            forget(self.user_id)
            if isinstance(exc, StoragePermissionDenied):
                # The storage itself refused (file system permissions): its own words say why.
                raise RemotePermissionDenied(
                    f"The collection's storage refused to {self.action} in “{self.folder}”: {exc.message}"
                ) from exc
            raise RemotePermissionDenied(
                f"{READ_ONLY_REASON} Globus refused to {self.action} in “{self.folder}”: you have read access "
                "there, not write access. Ask the collection's owner if you need to change it."
            ) from exc
