"""Worker fixtures (a pytest plugin loaded from tests/conftest.py).

- `mailbox`: the demo's real SMTP server (app/demo_mail.py, aiosmtpd) on a free port for the
  whole session; each test reads the messages addressed to its own user.
- `run_queued_jobs(app)`: run what a consumer would run, in this thread, until the queue is
  empty (scheduled jobs too when asked), and return what ran and what failed. Deterministic: no
  consumer thread, no waiting.
- `worker_portal`: the session's live portal with email on (SMTP_URL = the mailbox), for tests
  that follow a notification all the way to an email.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from huey import signals

from app.demo_mail import LocalMailbox


@dataclass
class JobRun:
    """What run_queued_jobs executed: names in order, and the errors jobs raised."""

    ran: list[str] = field(default_factory=list)
    errors: list[tuple[str, BaseException]] = field(default_factory=list)

    def count(self, suffix: str) -> int:
        """How many runs of jobs whose name ends with `suffix`."""
        return sum(1 for name in self.ran if name.endswith(suffix))


FAR_FUTURE = datetime.datetime(9000, 1, 1)


def run_queued_jobs(app: Flask, *, include_scheduled: bool = False, max_jobs: int = 500) -> JobRun:
    """Execute queued jobs of `app`'s queue as a consumer would, until none is left.

    include_scheduled=True also runs jobs queued for later (retries with back-off, delayed
    polls) as if their time had come.
    """
    importlib.import_module("app.worker.jobs")  # registers every job
    from app.worker.context import bind_app
    from app.worker.queue import huey

    bind_app(app)
    run = JobRun()

    def on_error(signal: str, task: Any, exc: BaseException | None = None) -> None:
        run.errors.append((task.name, exc or RuntimeError("unknown")))

    huey.signal(signals.SIGNAL_ERROR)(on_error)
    try:
        with app.app_context():
            while len(run.ran) < max_jobs:
                task = huey.dequeue()
                if task is None and include_scheduled:
                    due = huey.read_schedule(FAR_FUTURE)
                    for scheduled in due:
                        scheduled.eta = None
                        huey.enqueue(scheduled)
                    if due:
                        continue
                if task is None:
                    break
                if task.eta is not None and not include_scheduled and task.eta > huey._get_timestamp():
                    huey.add_schedule(task)
                    continue
                run.ran.append(task.name)
                huey.execute(task, timestamp=FAR_FUTURE if include_scheduled else None)
    finally:
        huey.disconnect_signal(on_error, signals.SIGNAL_ERROR)
    return run


@pytest.fixture(scope="session")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMailbox]:
    """The local SMTP server, storing messages as .eml files in a temporary folder."""
    server = LocalMailbox(Path(tmp_path_factory.mktemp("mail"))).start()
    yield server
    server.stop()


@pytest.fixture
def worker_portal(live_portal, mailbox: LocalMailbox) -> Iterator[Any]:
    """The live portal with email notifications going to the mailbox (restored afterwards)."""
    config = live_portal.app.config
    saved = {name: config.get(name) for name in ("SMTP_URL", "GATEWAY_PUBLIC_URL")}
    config["SMTP_URL"] = mailbox.url
    config["GATEWAY_PUBLIC_URL"] = live_portal.base_url
    yield live_portal
    config.update(saved)
