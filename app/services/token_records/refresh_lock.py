"""One refresh at a time per user and resource server, across threads, processes and hosts."""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from app.extensions import db


@contextmanager
def single_refresh(user_id: int, resource_server: str) -> Iterator[None]:
    """Hold the one right to refresh this user's token for this resource server.

    Ten parallel requests that find the access token expired must make one refresh, not ten:
    whoever waits here re-reads the row afterwards and uses the token the first one stored.
    Threads of a process queue on a lock; processes on a PostgreSQL advisory lock (any host) or,
    on SQLite (one host by nature), on a byte-range lock of a file in the instance folder.
    Neither blocks the token row itself, so the write-back inside the block goes through.
    """
    key = f"{user_id}|{resource_server}"
    with _thread_lock(key):
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection, connection.begin():
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_number(key)})
                yield
        elif db.engine.dialect.name == "sqlite":
            with _file_range_lock(_lock_number(key) % (1 << 31)):
                yield
        else:
            yield


_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()
_lock_files: dict[str, int] = {}


def _thread_lock(key: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


def _lock_number(key: str) -> int:
    """A stable signed 64-bit number for the key (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(f"token-refresh|{key}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _file_range_lock(offset: int) -> Iterator[None]:
    path = str(Path(current_app.instance_path) / "token-refresh.lock")
    with _thread_locks_guard:
        if path not in _lock_files:
            # Kept open for the life of the process: closing any descriptor of the file would
            # drop every lock this process holds on it.
            _lock_files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        descriptor = _lock_files[path]
    fcntl.lockf(descriptor, fcntl.LOCK_EX, 1, offset)
    try:
        yield
    finally:
        fcntl.lockf(descriptor, fcntl.LOCK_UN, 1, offset)
