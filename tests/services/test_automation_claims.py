"""The due-run claim: each due run starts exactly once, however many schedulers claim at the same time.

Runs against the test database of the pass: SQLite by default, PostgreSQL (FOR UPDATE SKIP LOCKED)
when DATABASE_URL points at one (the CI's PostgreSQL pass).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.automation import Automation, AutomationRun
from tests.automation_fixtures import claim_everything, make_automation
from tests.conftest import REPO_ROOT
from tests.users import portal_user

NOW = datetime(2026, 6, 1, 3, 31)
DUE = datetime(2026, 6, 1, 3, 30)


def _runs(app, automation_id=None):
    with app.app_context():
        query = select(AutomationRun).order_by(AutomationRun.id)
        if automation_id is not None:
            query = query.where(AutomationRun.automation_id == automation_id)
        rows = [
            (r.automation_id, r.status, r.trigger, r.scheduled_for, r.skip_reason) for r in db.session.scalars(query)
        ]
        db.session.remove()
    return rows


def _automation(app, automation_id):
    with app.app_context():
        row = db.session.get(Automation, automation_id)
        values = (row.next_run_at, row.runs_count, row.status, row.claim_version)
        db.session.remove()
    return values


def test_a_due_automation_is_claimed_once_and_moves_to_its_next_time(portal_app):
    user = portal_user(portal_app, "alice")
    automation = make_automation(portal_app, user, due=DUE)
    first = claim_everything(portal_app, NOW)
    assert len(first) == 1
    assert claim_everything(portal_app, NOW) == []  # a second scheduler at the same minute finds nothing
    assert _runs(portal_app) == [(automation, "pending", "schedule", DUE, None)]
    assert _automation(portal_app, automation)[:3] == (datetime(2026, 6, 2, 3, 30), 1, "active")


def test_a_clock_jump_neither_repeats_nor_makes_up_runs(portal_app):
    user = portal_user(portal_app, "alice")
    automation = make_automation(portal_app, user, due=DUE)
    assert len(claim_everything(portal_app, NOW)) == 1
    # The clock jumps back an hour: the run it already made is not due again.
    assert claim_everything(portal_app, NOW - timedelta(hours=1)) == []
    # ... then forward three days (the host slept): one run, not three, and the next is after now.
    _finish_runs(portal_app)
    later = NOW + timedelta(days=3, hours=2)
    assert len(claim_everything(portal_app, later)) == 1
    assert _automation(portal_app, automation)[:2] == (datetime(2026, 6, 5, 3, 30), 2)


def _finish_runs(app):
    with app.app_context():
        for run in db.session.scalars(select(AutomationRun)):
            run.status = "succeeded"
        db.session.commit()
        db.session.remove()


def test_a_run_is_skipped_with_the_reason_while_the_previous_one_is_active(portal_app):
    user = portal_user(portal_app, "alice")
    automation = make_automation(portal_app, user, due=DUE)
    assert len(claim_everything(portal_app, NOW)) == 1
    with portal_app.app_context():
        run = db.session.scalar(select(AutomationRun))
        run.status, run.task_id = "running", "task-still-going"
        db.session.commit()
    assert claim_everything(portal_app, NOW + timedelta(days=1)) == []  # nothing to start ...
    skipped = _runs(portal_app, automation)[-1]
    assert skipped[1] == "skipped" and "still in progress" in skipped[4] and "task-still-going" in skipped[4]
    # ... yet the schedule moved on, and the skip did not count as a run.
    assert _automation(portal_app, automation)[:2] == (datetime(2026, 6, 3, 3, 30), 1)


def test_max_runs_finishes_the_automation(portal_app):
    user = portal_user(portal_app, "alice")
    automation = make_automation(portal_app, user, due=DUE, max_runs=1)
    assert len(claim_everything(portal_app, NOW)) == 1
    assert _automation(portal_app, automation)[:3] == (None, 1, "finished")


def test_paused_automations_are_not_claimed(portal_app):
    user = portal_user(portal_app, "alice")
    make_automation(portal_app, user, due=DUE, status="paused", paused_reason="Paused by you")
    assert claim_everything(portal_app, NOW) == []


def test_five_threads_claiming_200_due_runs_start_each_exactly_once(portal_app):
    user = portal_user(portal_app, "alice")
    ids = [make_automation(portal_app, user, due=DUE - timedelta(minutes=n % 7)) for n in range(200)]
    results: list[list[int]] = [[] for _ in range(5)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(5)

    def scheduler(slot: int) -> None:
        try:
            barrier.wait()
            results[slot] = claim_everything(portal_app, NOW, limit=15)
        except BaseException as err:  # reported below, with the thread's failure
            errors.append(err)

    threads = [threading.Thread(target=scheduler, args=(slot,)) for slot in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    started = [run for batch in results for run in batch]
    assert len(started) == len(set(started)) == 200
    runs = _runs(portal_app)
    assert sorted(automation for automation, *_ in runs) == sorted(ids)
    with portal_app.app_context():
        assert db.session.scalar(select(func.sum(Automation.runs_count))) == 200
        db.session.remove()


CLAIMER = """
import sys
from datetime import datetime
from app import create_app
from tests.automation_fixtures import claim_everything
app = create_app({"GATEWAY_ENV": "test", "DATABASE_URL": sys.argv[1], "GATEWAY_INSTANCE_DIR": sys.argv[2],
                  "TOKEN_ENCRYPTION_KEYS": sys.argv[3], "SESSION_BACKEND": "sqlalchemy",
                  "GLOBUS_CLIENT_ID": "x", "GLOBUS_CLIENT_SECRET": "y"})
started = claim_everything(app, datetime.fromisoformat(sys.argv[4]), limit=10)
print(" ".join(map(str, started)))
"""


def test_two_scheduler_processes_claim_disjoint_runs(portal_app, tmp_path):
    user = portal_user(portal_app, "alice")
    for _ in range(120):
        make_automation(portal_app, user, due=DUE)
    config = portal_app.config
    command = [
        sys.executable,
        "-c",
        CLAIMER,
        config["SQLALCHEMY_DATABASE_URI"],
        str(tmp_path / "claimer"),
        config["TOKEN_ENCRYPTION_KEYS"],
        NOW.isoformat(),
    ]
    processes = [
        subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=180) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-2000:]
    started = [int(word) for out, _ in outputs for word in out.split()]
    assert len(started) == len(set(started)) == 120
    assert len(_runs(portal_app)) == 120


# The scheduler's real minute tick (the periodic job, reading the real clock) in a process whose
# clock libfaketime sets: no injected clock anywhere, the operating system's time jumps.
TICK = """
import sys
from app import create_app
from app.worker.context import bind_app
from app.worker.jobs.automations import claim_due_runs
app = create_app({"GATEWAY_ENV": "test", "DATABASE_URL": sys.argv[1], "GATEWAY_INSTANCE_DIR": sys.argv[2],
                  "TOKEN_ENCRYPTION_KEYS": sys.argv[3], "SESSION_BACKEND": "sqlalchemy",
                  "GLOBUS_CLIENT_ID": "x", "GLOBUS_CLIENT_SECRET": "y"})
bind_app(app)
claim_due_runs.call_local()
"""
FAKETIME = shutil.which("faketime")


def _tick_at(portal_app, tmp_path, wall_clock: datetime) -> None:
    config = portal_app.config
    command = [
        FAKETIME or "faketime",
        "-f",
        wall_clock.strftime("@%Y-%m-%d %H:%M:%S"),  # starts there and keeps ticking
        sys.executable,
        "-c",
        TICK,
        config["SQLALCHEMY_DATABASE_URI"],
        str(tmp_path / "scheduler"),
        config["TOKEN_ENCRYPTION_KEYS"],
    ]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=_utc_env())
    assert done.returncode == 0, done.stderr[-2000:]


def _utc_env() -> dict[str, str]:
    # Only the wall clock jumps: with a faked monotonic clock too, libfaketime's timed condition
    # waits never return and the process hangs at exit (seen here with libfaketime 0.9.10).
    return {**os.environ, "TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


@pytest.mark.skipif(FAKETIME is None, reason="needs Debian's faketime (installed by .ci/run)")
def test_the_real_minute_tick_under_a_jumping_system_clock_neither_repeats_nor_makes_up_runs(portal_app, tmp_path):
    user = portal_user(portal_app, "alice")
    automation = make_automation(portal_app, user, due=DUE)
    _tick_at(portal_app, tmp_path, NOW)
    assert [run[1:4] for run in _runs(portal_app)] == [("pending", "schedule", DUE)]
    # The system clock is set back an hour (NTP step, a VM restored): the run is not made again.
    _tick_at(portal_app, tmp_path, NOW - timedelta(hours=1))
    assert len(_runs(portal_app)) == 1
    # ... then forward three days (the host slept): one run, not three, and the next is after now.
    _finish_runs(portal_app)
    _tick_at(portal_app, tmp_path, NOW + timedelta(days=3, hours=2))
    assert len(_runs(portal_app)) == 2
    assert _automation(portal_app, automation)[:2] == (datetime(2026, 6, 5, 3, 30), 2)
