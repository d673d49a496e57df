"""Storage quotas on collections (bytes), as the task runner and HTTPS uploads enforce them.

A collection has no quota unless one is set through the control API. A guest collection is also
bound by its host's quota, since its files live in the host's storage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.orm import Session

from emulator.db import write_lock
from emulator.errors import bad_request
from emulator.transfer.access import get_collection
from emulator.transfer.models import Collection, CollectionQuota

MAX_QUOTA_BYTES = 2**63 - 1


class QuotaExceeded(Exception):
    """Writing this many more bytes would exceed a collection's quota."""

    def __init__(self, collection_name: str, quota: int, used: int, growth: int) -> None:
        super().__init__(f"Quota exceeded on {collection_name}: {used} of {quota} bytes used, {growth} more needed.")
        self.collection_name = collection_name


def set_collection_quota(session: Session, collection_id: str, quota_bytes: int | None) -> dict:
    """Set (or with None remove) a collection's quota; the caller commits."""
    # The database stores a signed 64-bit integer; anything larger would fail at commit as a 500.
    if quota_bytes is not None and (
        isinstance(quota_bytes, bool) or not isinstance(quota_bytes, int) or not 0 <= quota_bytes <= MAX_QUOTA_BYTES
    ):
        raise bad_request(f"'quota_bytes' must be an integer from 0 to {MAX_QUOTA_BYTES}, or null.")
    collection = get_collection(session, collection_id)
    with write_lock:
        row = session.get(CollectionQuota, collection.id)
        if quota_bytes is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(CollectionQuota(collection_id=collection.id, quota_bytes=quota_bytes))
        else:
            row.quota_bytes = quota_bytes
    return {"collection_id": collection.id, "quota_bytes": quota_bytes}


def disk_usage(root: str) -> int:
    """Bytes used by the regular files under a folder (symlinks not followed)."""
    total = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        except (FileNotFoundError, PermissionError):
            continue
    return total


@dataclass
class _Limit:
    name: str
    root: str
    quota: int
    used: int


class QuotaGuard:
    """Tracks usage against the quotas that bind one destination collection during a task."""

    def __init__(self, session: Session, collection: Collection) -> None:
        self.limits: list[_Limit] = []
        targets = [collection]
        if collection.host_collection_id:
            host = session.get(Collection, collection.host_collection_id)
            if host is not None:
                targets.append(host)
        for target in targets:
            row = session.get(CollectionQuota, target.id)
            if row is not None:
                self.limits.append(
                    _Limit(target.display_name, target.root_path, row.quota_bytes, disk_usage(target.root_path))
                )

    def check(self, growth: int) -> None:
        """Raise QuotaExceeded if `growth` more bytes would not fit."""
        for limit in self.limits:
            if growth > 0 and limit.used + growth > limit.quota:
                raise QuotaExceeded(limit.name, limit.quota, limit.used, growth)

    def commit(self, growth: int) -> None:
        """Record that `growth` bytes were written (negative when a file shrank)."""
        for limit in self.limits:
            limit.used += growth
