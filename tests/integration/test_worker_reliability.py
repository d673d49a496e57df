"""The worker under failure: kill -9 mid-submission loses and doubles nothing; 429s are retried.

Real processes: `gateway worker` consumers against the session emulator, through a proxy that
holds or throttles Transfer's submit answers. Runs on SQLite by default; with DATABASE_URL
(PostgreSQL) and QUEUE_BACKEND=redis + REDIS_URL in the environment it runs on those.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import globus_sdk
import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app.extensions import db
from app.models.tracked_task import TrackedTask, TransferSubmission
from app.services import submissions, transfers
from app.unit_of_work import unit_of_work
from app.worker.context import bind_app
from app.worker.jobs.submissions import resume_unfinished_submissions, submit_for_user
from app.worker.queue import enqueue_after_commit
from tests.conftest import REPO_ROOT
from tests.emulator.helpers import login_user_tokens
from tests.emulator.transfer_clients import collection_id
from tests.fault_proxy import FaultProxy
from tests.portal_fixtures import build_migrated_app, drop_isolated_schema, portal_overrides
from tests.users import portal_user
from tests.waiting import wait_until
from tests.worker_fixtures import run_queued_jobs

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")
SCOPES = ["openid", "email", "urn:globus:auth:scope:transfer.api.globus.org:all"]
TRANSFER_RS = "transfer.api.globus.org"
# Settings a worker process needs to share with the test's portal app (same database, queue, keys).
SHARED_SETTINGS = (
    "GATEWAY_ENV",
    "GATEWAY_INSTANCE_DIR",
    "DATABASE_URL",
    "TOKEN_ENCRYPTION_KEYS",
    "GATEWAY_EMULATOR_MANIFEST",
    "QUEUE_BACKEND",
    "REDIS_URL",
    "SESSION_BACKEND",
)


@pytest.fixture
def proxy(emulator) -> Iterator[FaultProxy]:
    server = FaultProxy(emulator.base_url, hold_submits=True).start()
    yield server
    server.stop()


@pytest.fixture
def overrides(emulator, tmp_path) -> dict[str, Any]:
    values = portal_overrides(
        tmp_path / "instance",
        GATEWAY_EMULATOR_MANIFEST=str(emulator.instance_dir / "emulator.json"),
        GLOBUS_CLIENT_ID=None,
        GLOBUS_CLIENT_SECRET=None,
    )
    if os.environ.get("QUEUE_BACKEND") == "redis":
        values["QUEUE_BACKEND"] = "redis"
    return values


@pytest.fixture
def portal(overrides) -> Iterator[Flask]:
    app = build_migrated_app(overrides)
    bind_app(app)
    with app.app_context():
        from app.worker.queue import huey

        huey.flush()  # a Redis queue is shared between tests: start from an empty one
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_isolated_schema(app.config["SQLALCHEMY_DATABASE_URI"])


def _start_worker(overrides: dict[str, Any], log: Path, **extra: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GLOBUS_", "GATEWAY_"))}
    env.update({name: str(overrides[name]) for name in SHARED_SETTINGS if overrides.get(name) is not None})
    env.update(extra)
    handle = open(log, "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--workers", "1", "--no-scheduler"],
        cwd=REPO_ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _document(label: str) -> dict[str, Any]:
    items = transfers.items_from_selection("/~/run 02/", f"/~/crash-{uuid.uuid4().hex[:8]}/", [("img_0002.tif", False)])
    options = transfers.parse_options({"label": label})
    return transfers.build_request(CRYOEM_SHARED, LAB_ARCHIVE, items, options).document()


def _upstream_tasks_labelled(emulator, tokens, label: str) -> list[dict]:
    client = globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(tokens[TRANSFER_RS]["access_token"]),
        base_url=emulator.services["transfer"],
    )
    return [dict(task) for task in client.task_list(filter={"label": label}, limit=100)["DATA"]]


def _row(app: Flask, form_token: str) -> TransferSubmission | None:
    with app.app_context():
        row = db.session.scalar(select(TransferSubmission).where(TransferSubmission.form_token == form_token))
        if row is not None:
            db.session.expunge(row)
        return row


def test_kill_9_after_the_submission_id_is_saved_loses_nothing_and_doubles_nothing(
    portal, overrides, emulator, proxy, tmp_path
):
    tokens = login_user_tokens(emulator, "alice", SCOPES, refresh_tokens=True)
    alice = portal_user(portal, "alice", tokens=tokens)
    label = f"crash {uuid.uuid4().hex[:8]}"
    form_token = submissions.new_form_token()
    with portal.app_context(), unit_of_work():
        enqueue_after_commit(submit_for_user, alice, form_token, _document(label))

    # A consumer whose Transfer calls pass the proxy: it saves the submission id, sends the submit,
    # Transfer makes the task, and the answer never comes back; then the consumer is killed.
    worker = _start_worker(
        overrides, tmp_path / "worker-1.log", GLOBUS_TRANSFER_URL=proxy.url_for(emulator.services["transfer"])
    )
    try:
        wait_until(lambda: proxy.forwarded_submits, 90, "the worker sending its submit")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        _stop(worker)
    row = _row(portal, form_token)
    assert row is not None and row.task_id is None and row.attempts == 1, "saved before the call, task unknown"
    [made] = _upstream_tasks_labelled(emulator, tokens, label)  # Transfer did make it, once
    assert made["task_id"] == proxy.forwarded_submits[0]["task_id"]

    # Time passes (the row is older than a request could still be in flight); a new consumer's
    # periodic resume sends it again under the SAME submission id.
    with portal.app_context():
        db.session.execute(
            update(TransferSubmission)
            .where(TransferSubmission.form_token == form_token)
            .values(created_at=row.created_at - submissions.RESUME_AFTER - timedelta(seconds=1))
        )
        db.session.commit()
    with portal.app_context(), unit_of_work():
        enqueue_after_commit(resume_unfinished_submissions)
    restarted = _start_worker(overrides, tmp_path / "worker-2.log")
    try:
        wait_until(
            lambda: (_row(portal, form_token) or row).task_id, 90, "the restarted worker finishing the submission"
        )
    finally:
        _stop(restarted)

    finished = _row(portal, form_token)
    assert finished is not None and finished.task_id == made["task_id"] and finished.attempts == 2
    assert len(_upstream_tasks_labelled(emulator, tokens, label)) == 1, "no second task"
    with portal.app_context():
        tracked = db.session.scalar(
            select(func.count()).select_from(TrackedTask).where(TrackedTask.task_id == made["task_id"])
        )
        assert tracked == 1


def test_throttled_submits_are_retried_with_bounded_back_off_into_one_task(portal, emulator, monkeypatch):
    throttling = FaultProxy(emulator.base_url, throttle_submits=2).start()
    try:
        portal.config["GLOBUS_TRANSFER_URL"] = throttling.url_for(emulator.services["transfer"])
        portal.extensions.pop("globus_settings", None)  # rebuilt from the changed URL
        tokens = login_user_tokens(emulator, "alice", SCOPES, refresh_tokens=True)
        alice = portal_user(portal, "alice", tokens=tokens)
        label = f"throttled {uuid.uuid4().hex[:8]}"
        form_token = submissions.new_form_token()
        with portal.app_context(), unit_of_work():
            enqueue_after_commit(submit_for_user, alice, form_token, _document(label))
        run = run_queued_jobs(portal)
    finally:
        throttling.stop()
    assert run.count("submit_for_user") == 1 and not run.errors
    # Two 429s answered, then the SDK's own retry (within WORKER_MAX_RETRIES) got through.
    assert throttling.throttled == 2 and throttling.submits_seen == 3
    row = _row(portal, form_token)
    [made] = _upstream_tasks_labelled(emulator, tokens, label)
    assert row is not None and row.task_id == made["task_id"] and row.attempts == 1
