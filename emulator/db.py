"""The emulator's own database: plain SQLAlchemy 2 over SQLite in the instance folder.

The emulator never shares tables with the portal. One engine per emulator app; request code gets a
session from `db_session()` (closed at request teardown), background threads use `session_scope()`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base for every emulator model (auth, transfer, search)."""


# SQLite allows one writer at a time; the HTTP threads and the task runner serialise writes here
# instead of failing with "database is locked" under load.
write_lock = threading.RLock()


def make_engine(database_path: str) -> Engine:
    """Create the SQLite engine with WAL and a busy timeout, suited to a threaded server."""
    engine = create_engine(
        f"sqlite:///{database_path}",
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=16,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001 - DBAPI hook signature
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def init_db(app) -> None:  # noqa: ANN001 - Flask app
    """Bind an engine and session factory to the app and create every table."""
    # Import the model modules so their tables are registered on Base.metadata.
    from emulator.auth import models as _auth_models  # noqa: F401
    from emulator.search import models as _search_models  # noqa: F401
    from emulator.transfer import models as _transfer_models  # noqa: F401
    from emulator.transfer.tasks import models as _task_models  # noqa: F401

    engine = make_engine(app.config["EMULATOR_DATABASE"])
    Base.metadata.create_all(engine)
    app.extensions["emulator_engine"] = engine
    app.extensions["emulator_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc):  # noqa: ANN001
        session = g.pop("emulator_db", None)
        if session is not None:
            session.close()


def db_session() -> Session:
    """The request's session (created on first use, closed at teardown)."""
    if "emulator_db" not in g:
        g.emulator_db = current_app.extensions["emulator_sessionmaker"]()
    return g.emulator_db


def current_flask_app() -> Flask:
    """The app object behind `current_app`, to hand to threads that outlive the request."""
    # Flask's type stubs present current_app as a Flask; at run time it is a LocalProxy.
    return current_app._get_current_object()  # type: ignore[attr-defined]


@contextlib.contextmanager
def session_scope(app) -> Iterator[Session]:  # noqa: ANN001
    """A session for background threads: commit on success, roll back on error, always close."""
    session = app.extensions["emulator_sessionmaker"]()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched.

    Session.execute is typed as returning Result; for DML it is a CursorResult, which counts.
    """
    return cast("CursorResult[Any]", result).rowcount
