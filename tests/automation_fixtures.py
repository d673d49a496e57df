"""Automation helpers (a pytest plugin loaded from tests/conftest.py).

- `make_automation(app, user_id, **fields)`: an Automation row saved straight into the database,
  daily in UTC by default, due `due` (naive UTC) — for claim and run tests that need many.
- `claim_everything(app, now)`: claim_due in a loop (as one scheduler would) until nothing is due.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Flask

from app.services.transfers import TransferOptions
from tests.emulator.transfer_clients import collection_id as seeded_collection


def automation_form(**overrides: str) -> dict[str, str]:
    """The automation form's fields for a valid daily sync (Berlin, 03:30), with `overrides` on top."""
    fields = {
        "name": f"Nightly {uuid.uuid4().hex[:6]}",
        "source": seeded_collection("cryoem-shared"),
        "source_path": "/~/notebooks/",
        "destination": seeded_collection("lab-archive"),
        "destination_path": f"/~/auto-{uuid.uuid4().hex[:8]}/",
        "label": "{name} {date}",
        "sync_level": "checksum",
        "verify_checksum": "on",
        "preset": "daily",
        "at": "03:30",
        "timezone": "Europe/Berlin",
    }
    fields.update(overrides)
    return fields


def make_automation(app: Flask, user_id: int, *, due: datetime | None, **fields: Any) -> int:
    """Save an automation for `user_id` (defaults: daily 03:30 UTC sync /~/ → /~/auto/); returns its id."""
    from app.extensions import db
    from app.models.automation import Automation

    options = TransferOptions(sync_level="checksum", flags=frozenset({"verify_checksum"})).document()
    options.pop("label")
    options.pop("deadline")
    values: dict[str, Any] = {
        "user_id": user_id,
        "name": "test sync",
        "kind": "sync",
        "source_collection_id": "00000000-0000-0000-0000-000000000001",
        "source_path": "/~/",
        "destination_collection_id": "00000000-0000-0000-0000-000000000002",
        "destination_path": "/~/auto/",
        "transfer_options": options,
        "label_template": "{name} {date}",
        "follow_ups": [],
        "schedule_preset": "daily",
        "schedule_fields": {"at": "03:30"},
        "cron": "30 3 * * *",
        "timezone": "UTC",
        "status": "active",
        "next_run_at": due,
        "runs_count": 0,
        "claim_version": 0,
        "paused_for_tokens": False,
    }
    values.update(fields)
    with app.app_context():
        row = Automation(**values)
        db.session.add(row)
        db.session.commit()
        automation_id = row.id
        db.session.remove()
    return automation_id


def claim_everything(app: Flask, now: datetime, *, limit: int = 50) -> list[int]:
    """Run the claim until it finds nothing due at `now`; the run ids it returned, in order."""
    from app.extensions import db
    from app.services import automation_runs

    started: list[int] = []
    with app.app_context():
        while True:
            batch = automation_runs.claim_due(now, limit=limit)
            if not batch and not _anything_due(now):
                break
            started.extend(batch)
        db.session.remove()
    return started


def _anything_due(now: datetime) -> bool:
    from sqlalchemy import select

    from app.extensions import db
    from app.models.automation import Automation

    found = db.session.scalar(
        select(Automation.id).where(Automation.status == "active", Automation.next_run_at <= now).limit(1)
    )
    db.session.commit()
    return found is not None


def run_status(app: Flask, run_id: int) -> tuple[str, list[tuple[str, str, str | None]]]:
    """A run's status and its steps as (type, status, task id)."""
    from app.extensions import db
    from app.models.automation import AutomationRun

    with app.app_context():
        run = db.session.get(AutomationRun, run_id)
        assert run is not None
        result = run.status, [(s.step_type, s.status, s.task_id) for s in run.steps]
        db.session.remove()
    return result


def drive_run(portal: Any, user_id: int, run_id: int, *, timeout: float = 120) -> tuple[str, list]:
    """Be the worker for one run until it ends: run queued jobs; when a step waits for a task that
    has ended upstream, let the task watcher see it (its listener moves the run on)."""
    from datetime import timedelta

    from app.models.timestamps import utcnow
    from app.services import task_watch, user_clients
    from app.services.globus import transfer as upstream
    from app.unit_of_work import unit_of_work
    from tests.waiting import wait_until
    from tests.worker_fixtures import run_queued_jobs

    app = portal.app

    def step_forward() -> tuple[str, list] | None:
        ran = run_queued_jobs(app, include_scheduled=True)
        assert not ran.errors, ran.errors
        status, steps = run_status(app, run_id)
        if status in ("succeeded", "failed", "skipped"):
            return status, steps
        waiting = [task for _, step_status, task in steps if step_status == "running" and task]
        if waiting:
            with app.app_context():
                client = user_clients.transfer_client(user_id, for_worker=True)
                if upstream.get_task(client, waiting[0])["status"] in ("SUCCEEDED", "FAILED"):
                    with unit_of_work():
                        # As the minute's tick would, a little later: the task is due for a look.
                        task_watch.poll_user(user_id, now=utcnow() + timedelta(hours=1))
        return None

    return wait_until(step_forward, timeout, lambda: f"run {run_id}: {run_status(app, run_id)}")
