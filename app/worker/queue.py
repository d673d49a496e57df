"""The one Huey instance of the gateway, its storage chosen by the settings.

- QUEUE_BACKEND=sqlite (default): Huey's SQLite storage in the instance folder
  (`instance/worker-queue.sqlite3`, created 0600): one host, any number of consumer threads.
- QUEUE_BACKEND=redis: Redis at REDIS_URL: consumers on many hosts, one of them the scheduler.

Jobs are declared with `@job(...)` / `@periodic_job(...)` (below) in app/worker/jobs/, and sent
with `enqueue_after_commit(job, *args)` so nothing is queued for a transaction that rolls back.

The storage follows the Flask app: a portal (or a test) enqueues into the storage of the app whose
context it runs in; a consumer, which dequeues outside any app context, uses the storage of the
app it was bound to (app/worker/context.py `bind_app`), else the one the environment describes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from app.ops.request_context import current_request_id
from app.unit_of_work import after_commit

QUEUE_NAME = "gateway"


def build_storage(config: Any) -> Any:
    """The Huey storage a configuration describes (SQLite file or Redis)."""
    if config["QUEUE_BACKEND"] == "redis":
        return RedisStorage(QUEUE_NAME, url=config["REDIS_URL"])
    path = Path(config["QUEUE_SQLITE_PATH"])
    _create_private_file(path)
    return SqliteStorage(QUEUE_NAME, filename=str(path))


def _create_private_file(path: Path) -> None:
    # The queue holds job arguments (ids, never tokens), but it is the instance's data: owner only,
    # like the portal's own SQLite file. SQLite creates its -wal/-shm files with the same mode.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        path.chmod(0o600)


class GatewayHuey(Huey):
    """Huey whose storage is the current app's (see the module docstring)."""

    def __init__(self) -> None:
        self._bound_storage: Any = None
        # utc=True: every eta and periodic check is in UTC, whatever the host's zone.
        super().__init__(QUEUE_NAME, utc=True, results=False, storage_class=SqliteStorage)

    def create_storage(self) -> Any:
        # Built lazily (first use), so importing the jobs creates no file anywhere.
        return None

    @property
    def storage(self) -> Any:
        if has_app_context():
            return app_storage(current_app)
        if self._bound_storage is None:
            from app.worker.context import consumer_app

            self._bound_storage = app_storage(consumer_app())
        return self._bound_storage

    @storage.setter
    def storage(self, value: Any) -> None:
        self._bound_storage = value


def app_storage(app: Flask) -> Any:
    """This app's queue storage, built once."""
    storage = app.extensions.get("queue_storage")
    if storage is None:
        storage = app.extensions["queue_storage"] = build_storage(app.config)
    return storage


huey = GatewayHuey()


def job(*, retries: int = 0, retry_delay: int = 0, retry_backoff: float = 1.0, **options: Any) -> Callable:
    """Declare a job: `fn(*args)` runs inside job_context() (app context, one unit of work).

    The wrapper takes one extra keyword, `request_id`, the id of the request that enqueued it
    (enqueue_after_commit passes it), so a job's log lines carry the id of what started it.
    """

    def decorate(fn: Callable) -> Any:
        @functools.wraps(fn)
        def run(*args: Any, request_id: str | None = None, **kwargs: Any) -> Any:
            from app.worker.context import job_context

            with job_context(request_id):
                return fn(*args, **kwargs)

        return huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff, **options)(run)

    return decorate


def periodic_job(schedule: Callable, **options: Any) -> Callable:
    """Declare a job the scheduler (a consumer without --no-scheduler) enqueues on `schedule`."""

    def decorate(fn: Callable) -> Any:
        @functools.wraps(fn)
        def run(request_id: str | None = None) -> Any:
            # request_id: when a periodic job is also queued by hand (enqueue_after_commit adds it).
            from app.worker.context import job_context

            with job_context(request_id):
                return fn()

        return huey.periodic_task(schedule, **options)(run)

    return decorate


def enqueue_after_commit(task: Any, *args: Any, delay: float | timedelta | None = None, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` once the current unit of work commits (dropped on rollback)."""
    kwargs["request_id"] = current_request_id()
    seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay

    def send() -> None:
        if seconds and seconds > 0:
            task.schedule(args, kwargs, delay=seconds)
        else:
            task(*args, **kwargs)

    after_commit(send)
