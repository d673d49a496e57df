"""What every job body runs in: the portal app, one unit of work, the request id for its logs.

A consumer process builds the portal app once (from the environment, like `gateway run`) and
every job pushes its own app context of it, so each job has its own database session and its own
after-commit list. Tests and the demo may bind an app they built (`bind_app`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from app.ops.request_context import bound_request_id
from app.unit_of_work import unit_of_work

_app: Flask | None = None
_app_lock = threading.Lock()


def consumer_app() -> Flask:
    """The portal app this process runs jobs in, built on first use."""
    global _app
    if _app is None:
        with _app_lock:
            if _app is None:
                from app import create_app
                from app.settings import load_env_files

                load_env_files()
                _app = create_app()
    return _app


def bind_app(app: Flask) -> None:
    """Run this process's jobs in `app` (and dequeue from its queue storage)."""
    global _app
    from app.worker.queue import app_storage, huey

    _app = app
    huey.storage = app_storage(app)


@contextmanager
def job_context(request_id: str | None = None) -> Iterator[str]:
    """An app context of the consumer's app, one unit of work, and a bound request id (yielded)."""
    app = consumer_app()
    with app.app_context(), bound_request_id(request_id) as bound, unit_of_work():
        yield bound
