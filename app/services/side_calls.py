"""One upstream call made beside the request's own, so that two independent calls overlap.

A page that needs two answers from Transfer (a running task and its events) waits for the slower
of the two instead of their sum. The side call runs on a small pool of long-lived threads, inside
the app's context, with a client built on that thread (each thread keeps its own upstream
connection alive, as requests.Session is not thread-safe). It reads and writes nothing of the
request: no g, no request-scoped database session; its own app context is torn down after it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from flask import current_app

# Two cores serve two gunicorn workers of 4 threads each: a few side threads per worker suffice.
SIDE_THREADS = 4

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=SIDE_THREADS, thread_name_prefix="side-call")


def beside(call: Callable[[], T]) -> Future[T]:
    """Start `call` on a side thread inside this app's context; `.result()` returns or raises its outcome."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> T:
        with app.app_context():
            return call()

    return _pool.submit(run)
