"""Directory listings as Transfer returns them: file documents and one page of a directory.

Queries that read only names and types (the usual "type ASC,name ASC" browse, name filters) are
sorted once and kept in listing_cache while the directory is unchanged, so a page is a slice.
Other queries stream the directory with os.scandir and keep only what the requested page needs
(heapq.nsmallest over offset+limit of (sort key, name) pairs). Documents are built for the page
only, never for every entry. Filters and orderby come from listing_query.
"""

from __future__ import annotations

import grp
import heapq
import os
import pwd
import stat as statmod
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from emulator.transfer.documents import timestamp
from emulator.transfer.storage.listing_cache import (
    LISTING_CACHE,
    directory_stamp,
    is_settled,
)
from emulator.transfer.storage.paths import collection_path_for

# Fields that change only when an entry is added, removed or renamed (symlinks aside), so a listing
# ordered and filtered by them alone stays valid while the directory itself is unchanged.
DIRECTORY_FIELDS = frozenset({"name", "type"})


@lru_cache(maxsize=256)
def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@lru_cache(maxsize=256)
def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _inside(root_real: str, path: str) -> bool:
    return path == root_real or path.startswith(root_real + os.sep)


class Entry:
    """One directory entry, stat'ed lazily: most listings never need more than name and type."""

    __slots__ = ("name", "path", "root_real", "_lstat", "_target_stat", "_type")

    def __init__(self, name: str, path: str, root_real: str, is_dir: bool | None = None, is_link: bool | None = None):
        self.name = name
        self.path = path
        self.root_real = root_real
        self._lstat: os.stat_result | None = None
        self._target_stat: os.stat_result | None = None
        self._type: str | None = None
        if is_link is False and is_dir is not None:
            self._type = "dir" if is_dir else "file"

    @property
    def lstat(self) -> os.stat_result:
        """The entry's own stat (a symlink's, not its target's)."""
        if self._lstat is None:
            self._lstat = os.lstat(self.path)
        return self._lstat

    @property
    def is_link(self) -> bool:
        """True when the entry is a symbolic link."""
        return statmod.S_ISLNK(self.lstat.st_mode)

    @property
    def target_stat(self) -> os.stat_result | None:
        """The stat of what the entry designates: itself, or a symlink's target inside the root."""
        if self._target_stat is None:
            if not self.is_link:
                self._target_stat = self.lstat
            else:
                real = os.path.realpath(self.path)
                if _inside(self.root_real, real) and os.path.exists(real):
                    self._target_stat = os.stat(real)
        return self._target_stat

    @property
    def type(self) -> str:
        """ "dir", "file" or "invalid_symlink" (dangling, or leading out of the collection)."""
        if self._type is None:
            target = self.target_stat
            if target is None:
                self._type = "invalid_symlink"
            else:
                self._type = "dir" if statmod.S_ISDIR(target.st_mode) else "file"
        return self._type

    @property
    def shown_stat(self) -> os.stat_result:
        """The stat the main fields describe (the target's for a valid symlink)."""
        return self.target_stat or self.lstat

    @property
    def size(self) -> int:
        """Size in bytes (0 for an invalid symlink)."""
        return 0 if self.type == "invalid_symlink" else self.shown_stat.st_size

    @property
    def mtime(self) -> int:
        """Last modification time, whole seconds since the epoch."""
        return int(self.shown_stat.st_mtime)

    @property
    def permissions(self) -> str:
        """Octal permission bits as Transfer prints them ("0644")."""
        return f"{statmod.S_IMODE(self.shown_stat.st_mode):04o}"

    @property
    def user(self) -> str:
        """The owning local user name."""
        return _user_name(self.shown_stat.st_uid)

    @property
    def group(self) -> str:
        """The owning local group name."""
        return _group_name(self.shown_stat.st_gid)

    def link_target(self) -> str | None:
        """Where a symlink points, as a collection path; never a host path outside the root."""
        if not self.is_link:
            return None
        real = os.path.realpath(self.path)
        if _inside(self.root_real, real):
            return collection_path_for(self.root_real, real).posix
        raw = os.readlink(self.path)
        return None if os.path.isabs(raw) else raw

    def document(self) -> dict[str, Any]:
        """The `file` document Transfer returns for this entry."""
        link = self.lstat if self.is_link else None
        return {
            "DATA_TYPE": "file",
            "name": self.name,
            "type": self.type,
            "link_target": self.link_target(),
            "user": self.user,
            "group": self.group,
            "permissions": self.permissions,
            "size": self.size,
            "last_modified": timestamp(self.mtime),
            "link_size": link.st_size if link else None,
            "link_user": _user_name(link.st_uid) if link else None,
            "link_group": _group_name(link.st_gid) if link else None,
            "link_last_modified": timestamp(link.st_mtime) if link else None,
        }


def entry_for(root_real: str, target: Path, name: str) -> Entry:
    """An Entry for one path (used by stat); raises FileNotFoundError when it does not exist."""
    entry = Entry(name, str(target), root_real)
    entry.lstat  # noqa: B018 - fail early with FileNotFoundError
    return entry


# ---- listing --------------------------------------------------------------------------------


@dataclass
class Page:
    """One page of a listing: the documents plus how many entries matched in all."""

    documents: list[dict[str, Any]]
    total: int


def _entries(directory: Path, root_real: str, show_hidden: bool) -> Iterator[tuple[Entry, bool]]:
    """Each visible entry with whether it is a symbolic link (as scandir reported it)."""
    with os.scandir(directory) as scan:
        for item in scan:
            if not show_hidden and item.name.startswith("."):
                continue
            try:
                is_link = item.is_symlink()
                is_dir = item.is_dir(follow_symlinks=False)
            except OSError:
                continue
            yield Entry(item.name, item.path, root_real, is_dir=is_dir, is_link=is_link), is_link


def _fields_read(filters: list[Callable[[Entry], bool]], order_key: Callable[[Entry], tuple]) -> frozenset[str] | None:
    """Which entry fields the query reads, or None when a part does not say (never cached then)."""
    fields: set[str] = set()
    for part in (*filters, order_key):
        part_fields = getattr(part, "fields", None)
        if part_fields is None:
            return None
        fields |= part_fields
    return frozenset(fields)


def _page_documents(directory: Path, root_real: str, names: Iterable[str]) -> list[dict[str, Any]]:
    documents = []
    for name in names:
        try:
            documents.append(Entry(name, os.path.join(directory, name), root_real).document())
        except FileNotFoundError:
            continue  # removed since the scan
    return documents


def _all_matching_names(
    directory: Path,
    root_real: str,
    show_hidden: bool,
    filters: list[Callable[[Entry], bool]],
    order_key: Callable[[Entry], tuple],
) -> tuple[tuple[str, ...], bool]:
    """Every matching name in order, and whether the directory holds a symbolic link."""
    keyed = []
    saw_link = False
    for entry, is_link in _entries(directory, root_real, show_hidden):
        saw_link = saw_link or is_link
        try:
            if all(predicate(entry) for predicate in filters):
                keyed.append((order_key(entry), entry.name))
        except FileNotFoundError:
            continue  # removed while we were listing
    keyed.sort()
    return tuple(name for _, name in keyed), saw_link


def _cached_names(
    directory: Path,
    root_real: str,
    show_hidden: bool,
    filters: list[Callable[[Entry], bool]],
    order_key: Callable[[Entry], tuple],
    fields: frozenset[str],
) -> tuple[str, ...]:
    """The ordered matching names, from the cache while the directory is unchanged."""
    before = os.stat(directory)
    if not statmod.S_ISDIR(before.st_mode):
        raise NotADirectoryError(str(directory))
    # Device and inode name the directory wherever it is reached from (a guest collection's root too).
    key = (
        directory_stamp(before),
        show_hidden,
        getattr(order_key, "spec", None),
        tuple(getattr(predicate, "spec", None) for predicate in filters),
    )
    names = LISTING_CACHE.get(key)
    if names is not None:
        return names
    scan_started_ns = time.time_ns()
    names, saw_link = _all_matching_names(directory, root_real, show_hidden, filters, order_key)
    after = os.stat(directory)
    # A symlink's type follows its target, which can change without touching this directory.
    link_sensitive = saw_link and "type" in fields
    if directory_stamp(after) == directory_stamp(before) and is_settled(after, scan_started_ns) and not link_sensitive:
        LISTING_CACHE.put(key, names)
    return names


def list_directory(
    directory: Path,
    root: str | Path,
    *,
    show_hidden: bool,
    filters: list[Callable[[Entry], bool]],
    order_key: Callable[[Entry], tuple],
    offset: int,
    limit: int,
) -> Page:
    """The requested page of `directory` and the number of matching entries."""
    root_real = os.path.realpath(root)
    fields = _fields_read(filters, order_key)
    if fields is not None and fields <= DIRECTORY_FIELDS:
        names = _cached_names(directory, root_real, show_hidden, filters, order_key, fields)
        return Page(_page_documents(directory, root_real, names[offset : offset + limit]), len(names))

    # Sizes, times, owners and modes change inside files without touching the directory, so those
    # queries are answered from a fresh scan; the heap holds only (sort key, name) pairs.
    counter = {"total": 0}

    def matching() -> Iterator[Entry]:
        for entry, _ in _entries(directory, root_real, show_hidden):
            try:
                if all(predicate(entry) for predicate in filters):
                    counter["total"] += 1
                    yield entry
            except FileNotFoundError:
                continue  # removed while we were listing

    keyed = ((order_key(entry), entry.name) for entry in matching())
    chosen = heapq.nsmallest(offset + limit, keyed)[offset:]
    return Page(_page_documents(directory, root_real, (name for _, name in chosen)), counter["total"])
