"""Finished tasks' pages kept in memory: a task that has ended can no longer change.

Once Transfer reports a task SUCCEEDED or FAILED, its document, its events and the portal's own
record of where its files went are final, so asking Transfer again on every view (two upstream
calls, ~4 ms on loopback, tens of ms against Globus) buys nothing. Entries are keyed by
(user id, task id, ...): a user only ever gets back what was fetched with their own tokens, so
one user's task is never shown to another even when both may see it upstream. Bounded (least
recently used out) and aged out after an hour, so a process's memory stays flat however many
tasks its users open. Each gunicorn worker keeps its own; nothing here is shared or persisted.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

MAX_ENTRIES = 2048
MAX_AGE_SECONDS = 3600.0

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """A thread-safe least-recently-used map with a maximum age per entry."""

    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_entries = max_entries
        self.max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value stored under `key`, or None when absent or too old."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            stored_at, value = found
            if self._clock() - stored_at > self.max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Store `value` under `key`, dropping the least recently used entries beyond the bound."""
        with self._lock:
            self._entries[key] = (self._clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_user(self, user_id: int) -> None:
        """Drop every entry of one user (keys start with the user id)."""
        with self._lock:
            for key in [key for key in self._entries if isinstance(key, tuple) and key and key[0] == user_id]:
                del self._entries[key]

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
