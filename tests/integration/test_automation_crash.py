"""kill -9 of the worker in the middle of a chain, at the worst moment: Transfer made the task, the
gateway had not yet recorded its id. The run is found again by the sweep and finishes with the same
submission id and the same task — no run lost, no transfer doubled."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.automation import AutomationRun
from app.models.timestamps import utcnow
from app.models.tracked_task import TransferSubmission
from app.services import automation_chain, automation_runs, user_clients
from app.services.globus import transfer as upstream
from app.unit_of_work import unit_of_work
from tests.automation_fixtures import drive_run, make_automation, run_status, seeded_collection
from tests.conftest import REPO_ROOT
from tests.waiting import wait_until

# The worker process: take the run's next step, and die by SIGKILL the moment Transfer has answered
# the backup's submit — after the submission id was committed, before the task id is recorded.
WORKER = """
import json, os, signal, sys
from app import create_app
from app.services import automation_chain
from app.services.globus import transfer as upstream
from app.worker.context import job_context, bind_app
config = json.loads(sys.argv[1])
app = create_app(config)
bind_app(app)
real_submit = upstream.submit_transfer
def submit_then_die(client, document):
    result = real_submit(client, document)
    if "(backup)" in (document.get("label") or ""):
        print(result["task_id"], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    return result
upstream.submit_transfer = submit_then_die
with job_context():
    automation_chain.advance(int(sys.argv[2]))
"""

CONFIG_KEYS = (
    "GATEWAY_ENV",
    "GATEWAY_INSTANCE_DIR",
    "DATABASE_URL",
    "SESSION_BACKEND",
    "TOKEN_ENCRYPTION_KEYS",
    "GATEWAY_EMULATOR_MANIFEST",
    "QUEUE_BACKEND",
    "REDIS_URL",
)


def _config(app) -> dict:
    config = {key: app.config.get(key) for key in CONFIG_KEYS if app.config.get(key) is not None}
    config["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    return config


def test_kill_9_between_submit_and_record_resumes_with_the_same_submission(live_portal, bob_id):
    app = live_portal.app
    lab = seeded_collection("lab-archive")
    automation_id = make_automation(
        app,
        bob_id,
        due=None,
        source_collection_id=seeded_collection("cryoem-shared"),
        source_path="/~/notebooks/",
        destination_collection_id=lab,
        destination_path=f"/~/crash-{uuid.uuid4().hex[:8]}/",
        follow_ups=[{"type": "backup", "collection": lab, "path": f"/~/crash-backup-{uuid.uuid4().hex[:8]}/"}],
    )
    with app.app_context(), unit_of_work():
        from app.models.automation import Automation

        run = automation_runs.start_now(db.session.get(Automation, automation_id))
        run_id = run.id
    # The sync step runs normally in this process, up to its task's end.
    sync_task = _sync_until_done(app, bob_id, run_id)
    with app.app_context(), unit_of_work():
        automation_chain.task_ended(bob_id, sync_task, "SUCCEEDED")
    assert run_status(app, run_id)[1][1][1] == "pending"

    worker = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(_config(app)), str(run_id)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr[-2000:]
    upstream_task = worker.stdout.split()[-1]
    with app.app_context():
        run = db.session.get(AutomationRun, run_id)
        backup = run.steps[1]
        assert backup.status == "running" and backup.task_id is None and backup.form_token
        saved = db.session.scalar(select(TransferSubmission).where(TransferSubmission.form_token == backup.form_token))
        assert saved is not None and saved.task_id is None  # the id was saved, the task was not recorded
        submission_id = saved.submission_id
        # The sweep finds the run once its step has been quiet for a while.
        assert run_id in automation_runs.stalled_runs(utcnow() + timedelta(minutes=5))
        db.session.remove()

    status, steps = drive_run(live_portal, bob_id, run_id)
    assert status == "succeeded", steps
    assert steps[1][2] == upstream_task  # the same task Transfer made before the kill
    with app.app_context():
        rows = db.session.scalars(select(TransferSubmission).where(TransferSubmission.submission_id == submission_id))
        assert [row.task_id for row in rows] == [upstream_task]
        db.session.remove()


def _sync_until_done(app, user_id: int, run_id: int) -> str:
    with app.app_context(), unit_of_work():
        automation_chain.advance(run_id)
    task_id = run_status(app, run_id)[1][0][2]
    assert task_id

    def ended() -> bool:
        with app.app_context():
            client = user_clients.transfer_client(user_id, for_worker=True)
            return upstream.get_task(client, task_id)["status"] in ("SUCCEEDED", "FAILED")

    wait_until(ended, 120, f"sync task {task_id}")
    return task_id
