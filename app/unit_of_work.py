"""One unit of work per request: services change state and flush; this boundary commits once.

The pattern of Invenio's `unit_of_work` and indico's `RH.process`: a view calls its service, the
service adds and changes rows in `db.session` and flushes, and only here, when the view returned
a success, is the transaction committed; any error page or exception rolls everything back.
Work that must happen only once the data is durable (enqueueing a background job) is registered
with `after_commit(fn)` and runs after the commit, never before or after a rollback.

GET and HEAD requests do not write (in tests a GET that does fails loudly). Documented
exceptions that commit on their own: the at-most-once transfer submission (its id is committed
before the upstream call, see app/services/submissions.py); token rows and pending revocations
(app/services/token_records.py: a refreshed token must be kept even if the page then fails);
the login callback, a GET by OAuth's design, which commits the user row before the token rows
that refer to it (app/services/auth.py) and queues work for after that commit; the worker's
task-poll lease (app/services/task_watch.py), committed before Transfer is called; and the
session store. Background jobs get the same boundary from `unit_of_work()` (app/worker/context.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteOnGet(RuntimeError):
    """A GET changed the database (a bug: the change is discarded)."""


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once this request's transaction has committed (dropped on rollback)."""
    g.setdefault("_after_commit", []).append(callback)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One unit of work outside a request (a background job): commit once at the end, or roll back.

    The same contract as a request: services flush, this boundary commits, and what was
    registered with after_commit() runs only after that commit (never after a rollback).
    Needs an app context (flask.g holds the callbacks, as in a request).
    """
    try:
        yield
    except BaseException:
        db.session.rollback()
        g.pop("_after_commit", None)
        raise
    db.session.commit()
    _run_after_commit()


def _run_after_commit() -> None:
    for callback in g.pop("_after_commit", []):
        callback()


def _finish(response: Response) -> Response:
    changed = _has_changes()
    if request.method in READ_ONLY_METHODS:
        if changed:
            db.session.rollback()
            g.pop("_after_commit", None)
            log.error("%s %s changed the database; the change was discarded", request.method, request.path)
            if current_app.testing:
                raise WriteOnGet(f"{request.method} {request.path} wrote to the database")
        elif response.status_code < 400:
            # Only a documented early commit of a GET (the login callback) registers work for
            # after it; that commit has happened.
            _run_after_commit()
        return response
    if response.status_code >= 400:
        db.session.rollback()
        g.pop("_after_commit", None)
        return response
    if changed:
        db.session.commit()
    _run_after_commit()
    return response


def _has_changes() -> bool:
    session = db.session
    return bool(session.new or session.dirty or session.deleted or g.get("_flushed"))


def _note_flush(session: Session, _context: Any) -> None:
    # Flushed changes leave session.new/dirty but are still uncommitted work of this request.
    if has_request_context() and session is db.session.registry():
        g._flushed = True


def _note_bulk_write(state: Any) -> None:
    # An UPDATE/DELETE statement run through the session (mark all read, a claim) changes rows
    # without any flush: it is uncommitted work of this request all the same.
    if (state.is_update or state.is_delete or state.is_insert) and has_request_context():
        if state.session is db.session.registry():
            g._flushed = True


def _note_end(session: Session) -> None:
    # Committed (a documented early commit) or rolled back: nothing of it is pending any more.
    if has_request_context() and session is db.session.registry():
        g._flushed = False


def init_unit_of_work(app: Flask) -> None:
    """Commit or roll back once per request, at its end.

    Anything left uncommitted when a request ends without reaching this hook (an exception in a
    later hook) is rolled back by Flask-SQLAlchemy's session removal at teardown.
    """
    for name, listener in (
        ("after_flush", _note_flush),
        ("do_orm_execute", _note_bulk_write),
        ("after_commit", _note_end),
        ("after_rollback", _note_end),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    app.after_request(_finish)
