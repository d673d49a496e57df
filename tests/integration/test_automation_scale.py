"""200 due runs, 2 schedulers and 3 consumer processes → exactly 200 transfers.

The schedulers are two processes running the minute job's body (claim_due_runs) at the same
moment; the consumers are three real `gateway worker --no-scheduler` processes on the shared
queue (SQLite by default, Redis when QUEUE_BACKEND=redis, as in CI's second pass).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models.automation import AutomationRun, AutomationStep
from app.models.timestamps import utcnow
from app.models.tracked_task import TransferSubmission
from tests.automation_fixtures import make_automation, seeded_collection
from tests.conftest import REPO_ROOT
from tests.emulator.helpers import login_user_tokens
from tests.integration.test_worker_reliability import (  # noqa: F401 - fixtures shared with the reliability tests
    SCOPES,
    SHARED_SETTINGS,
    _start_worker,
    _stop,
    overrides,
    portal,
)
from tests.users import portal_user
from tests.waiting import wait_until

RUNS = 200
SCHEDULER = """
import json, sys
from app import create_app
from app.worker.context import bind_app
config = json.loads(sys.argv[1])
app = create_app(config)
bind_app(app)
import app.worker.jobs  # noqa: F401
from app.worker.jobs.automations import claim_due_runs
claim_due_runs.call_local()
"""


def test_200_due_runs_2_schedulers_3_consumers_make_exactly_200_transfers(portal, overrides, emulator, tmp_path):  # noqa: F811
    alice = portal_user(portal, "alice", tokens=login_user_tokens(emulator, "alice", SCOPES, refresh_tokens=True))
    tag = uuid.uuid4().hex[:6]
    due = utcnow() - timedelta(seconds=30)
    for n in range(RUNS):
        make_automation(
            portal,
            alice,
            due=due,
            name=f"n{n:03d}",
            label_template=f"scale-{tag} {{name}}",
            source_collection_id=seeded_collection("cryoem-shared"),
            source_path="/~/notebooks/",
            destination_collection_id=seeded_collection("lab-archive"),
            destination_path=f"/~/scale-{tag}/{n:03d}/",
        )
    config = {name: overrides[name] for name in SHARED_SETTINGS if overrides.get(name) is not None}
    config["DATABASE_URL"] = portal.config["SQLALCHEMY_DATABASE_URI"]
    command = [sys.executable, "-c", SCHEDULER, json.dumps(config)]
    schedulers = [
        subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for scheduler in schedulers:
        _, err = scheduler.communicate(timeout=300)
        assert scheduler.returncode == 0, err[-2000:]
    consumers = [_start_worker(overrides, tmp_path / f"worker-{n}.log") for n in range(3)]
    try:

        def submitted() -> int:
            with portal.app_context():
                count = db.session.scalar(
                    select(func.count())
                    .select_from(AutomationStep)
                    .where(AutomationStep.step_type == "transfer", AutomationStep.task_id.is_not(None))
                )
                db.session.remove()
            return (count or 0) >= RUNS

        wait_until(submitted, 300, lambda: (tmp_path / "worker-0.log").read_text()[-2000:])
    finally:
        for consumer in consumers:
            _stop(consumer)
    with portal.app_context():
        assert db.session.scalar(select(func.count()).select_from(AutomationRun)) == RUNS
        tasks = db.session.scalars(select(AutomationStep.task_id).where(AutomationStep.step_type == "transfer")).all()
        assert len(tasks) == len(set(tasks)) == RUNS
        submissions = db.session.scalars(
            select(TransferSubmission.task_id).where(TransferSubmission.user_id == alice)
        ).all()
        assert len(submissions) == len(set(submissions)) == RUNS
        db.session.remove()
