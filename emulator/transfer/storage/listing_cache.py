"""A bounded, per-process LRU cache of a directory's ordered entry names, so ls pages are slices.

A cached listing is keyed by the directory's identity and change stamp (device, inode, ctime, mtime,
size, link count) plus the query (show_hidden, orderby, filters). Any entry created, removed or
renamed inside a directory changes its ctime, and ctime cannot be set back by utime, so a stale key
is never looked up again.

Timestamps come from a coarse kernel clock: two changes a few milliseconds apart can carry the same
ctime. A listing is therefore stored only when the directory's ctime is older than SETTLE_NS before
the scan began ("racy" listings, as git calls them, are rebuilt every time); any later change then
gets a strictly newer ctime. The emulator's writers need not tell the cache anything.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable

# Far above any kernel timestamp granularity (jiffies, FAT's 2 s mtime is not a ctime).
SETTLE_NS = 2_000_000_000
# About three 100,000-entry folders: a tuple of names costs 8 bytes a reference plus the strings.
MAX_CACHED_NAMES = 300_000


def directory_stamp(info: os.stat_result) -> tuple[int, ...]:
    """What identifies one state of a directory: any entry added, removed or renamed changes it."""
    return (info.st_dev, info.st_ino, info.st_ctime_ns, info.st_mtime_ns, info.st_size, info.st_nlink)


def is_settled(info: os.stat_result, scan_started_ns: int) -> bool:
    """True when the directory last changed long enough before the scan that a later change shows."""
    return info.st_ctime_ns < scan_started_ns - SETTLE_NS


class ListingCache:
    """Ordered name tuples by key, least recently used evicted first, bounded by total names held."""

    def __init__(self, max_names: int = MAX_CACHED_NAMES):
        self.max_names = max_names
        self._listings: OrderedDict[Hashable, tuple[str, ...]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[str, ...] | None:
        """The cached names for `key`, or None; a hit becomes the most recently used."""
        with self._lock:
            names = self._listings.get(key)
            if names is not None:
                self._listings.move_to_end(key)
            return names

    def put(self, key: Hashable, names: tuple[str, ...]) -> bool:
        """Store `names` under `key`, evicting old listings; False when it alone exceeds the bound."""
        if len(names) > self.max_names:
            return False
        with self._lock:
            previous = self._listings.pop(key, None)
            if previous is not None:
                self._held -= len(previous)
            self._listings[key] = names
            self._held += len(names)
            while self._held > self.max_names:
                _, evicted = self._listings.popitem(last=False)
                self._held -= len(evicted)
            return True

    def held_names(self) -> int:
        """How many names all cached listings hold together."""
        with self._lock:
            return self._held

    def clear(self) -> None:
        """Forget every cached listing."""
        with self._lock:
            self._listings.clear()
            self._held = 0


LISTING_CACHE = ListingCache()
