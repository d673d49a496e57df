"""Engine-level settings: SQLite in WAL mode with foreign keys and a busy timeout."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any, cast

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result, make_url

from app.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000
log = logging.getLogger(__name__)


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets browser requests read while the worker writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_database(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and tune SQLite connections when the database is SQLite."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        _make_sqlite_file_private(uri)
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            engine: Engine = db.engine
            event.listen(engine, "connect", _configure_sqlite_connection)


def _make_sqlite_file_private(uri: str) -> None:
    """Create the database file owner-only (0600), or tighten one that others can read.

    It holds sessions and token ciphertexts; SQLite creates its -wal and -shm files with the
    database file's permissions, so they follow.
    """
    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("database file %s was readable by other users (mode %o); made it 0600", path, mode)
            path.chmod(0o600)
        return
    os.close(fd)


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched.

    Session.execute is typed as returning Result; for DML it is a CursorResult, which counts.
    """
    return cast("CursorResult[Any]", result).rowcount
