"""`gateway worker`: a Huey consumer over the gateway's queue, running every job in app/worker/jobs/.

Run as many consumers as you like (threads with --workers, processes, hosts on Redis); exactly
one of them should run the scheduler (periodic jobs: task watching ticks, sweeps, retries), the
others `--no-scheduler`. A second scheduler started by mistake does no harm: every periodic job
claims its work in SQL, so it only makes the ticks more frequent.
"""

from __future__ import annotations

import importlib
import logging

from flask import Flask

from app.worker.context import bind_app
from app.worker.queue import huey

log = logging.getLogger(__name__)
# SIGTERM (a service manager, the demo) lets running jobs finish for this long; SIGINT stops now.
SHUTDOWN_TIMEOUT_SECONDS = 30


def build_consumer(app: Flask, *, workers: int = 2, scheduler: bool = True):
    """A consumer bound to `app`, its jobs registered, ready to run()."""
    importlib.import_module("app.worker.jobs")  # registers every job with the Huey instance

    bind_app(app)
    return huey.create_consumer(
        workers=workers,
        periodic=scheduler,
        worker_type="thread",
        # An idle consumer checks the queue at least every 2 s (Huey backs off to max_delay).
        initial_delay=0.1,
        max_delay=2.0,
        check_worker_health=True,
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
    )


def run_consumer(app: Flask, *, workers: int, scheduler: bool) -> None:
    """Run a consumer until SIGTERM / SIGINT (in the main thread: it installs signal handlers)."""
    backend = app.config["QUEUE_BACKEND"]
    where = app.config["QUEUE_SQLITE_PATH"] if backend == "sqlite" else "REDIS_URL"
    log.info("worker: %d thread(s), scheduler %s, queue %s (%s)", workers, "on" if scheduler else "off", backend, where)
    build_consumer(app, workers=workers, scheduler=scheduler).run()
