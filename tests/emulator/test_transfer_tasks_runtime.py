"""The task runner while tasks run: throttled progress, cancel, faults, outages, deadlines, restarts.

Tasks are slowed with the control API's `throughput` setting so their intermediate states can be
observed; tests wait for states (bounded polling), never for durations.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import globus_sdk
import pytest

from tests.conftest import start_emulator, stop_emulator
from tests.emulator.test_transfer_tasks import wait_done
from tests.emulator.transfer_clients import transfer_as
from tests.waiting import wait_until

SLOW = 40_000  # bytes per second per task
POLL_SECONDS = 60  # a generous bound, only reached when something is broken


@pytest.fixture
def laptop(emulator) -> tuple[str, Path, str]:
    """Alice's laptop collection: id, a fresh folder on disk, and that folder's Globus path."""
    collection = emulator.collection("alice-laptop")
    name = f"runtime-tests/{uuid.uuid4().hex}"
    folder = Path(collection["data_root"]) / name
    folder.mkdir(parents=True)
    return collection["id"], folder, f"/{name}"


def poll(tc: globus_sdk.TransferClient, task_id: str, predicate) -> dict:
    """Fetch the task until `predicate(task)` holds (bounded), and return that document."""
    last: dict = {}

    def reached() -> dict | None:
        last.update(tc.get_task(task_id).data)
        return dict(last) if predicate(last) else None

    return wait_until(reached, POLL_SECONDS, lambda: f"task {task_id} never reached the expected state: {last}")


def submit_copy(tc, collection_id: str, source: str, destination: str, **options) -> str:
    data = globus_sdk.TransferData(collection_id, collection_id, **options)
    data.add_item(source, destination)
    return tc.submit_transfer(data)["task_id"]


def test_throttled_task_shows_progress_and_cancel_leaves_no_partial_file(alice, laptop, emulator_setting):
    collection_id, folder, path = laptop
    (folder / "large.bin").write_bytes(os.urandom(30 * SLOW))
    emulator_setting(throughput=SLOW)
    task_id = submit_copy(alice, collection_id, f"{path}/large.bin", f"{path}/copy/large.bin", label="slow one")

    running = poll(alice, task_id, lambda t: t["bytes_transferred"] > 0)
    assert running["status"] == "ACTIVE" and running["nice_status"] == "OK" and running["is_ok"] is True
    assert 0 < running["bytes_transferred"] < 30 * SLOW
    alice.update_task(task_id, {"label": "renamed while running"})

    result = alice.cancel_task(task_id)
    assert result["code"] == "Canceled"
    task = alice.get_task(task_id)
    assert task["status"] == "FAILED" and task["fatal_error"]["code"] == "CANCELED"
    assert task["label"] == "renamed while running"
    assert task["subtasks_canceled"] >= 1 and task["subtasks_pending"] == 0
    assert alice.cancel_task(task_id)["code"] == "TaskComplete"
    # The runner notices the cancel between chunks and removes its temporary file.
    wait_until(lambda: not any((folder / "copy").iterdir()), POLL_SECONDS, "the partial file stayed")
    assert any(e["code"] == "CANCELED" for e in alice.task_event_list(task_id))


def test_transient_faults_are_retried_counted_and_logged(alice, laptop, emulator_setting):
    collection_id, folder, path = laptop
    content = os.urandom(200_000)
    (folder / "flaky.bin").write_bytes(content)
    emulator_setting(fault_rate=1.0)
    task_id = submit_copy(alice, collection_id, f"{path}/flaky.bin", f"{path}/out/flaky.bin")
    faulty = poll(alice, task_id, lambda t: t["faults"] >= 2)
    assert faulty["status"] == "ACTIVE" and faulty["subtasks_retrying"] == 1
    emulator_setting(fault_rate=0.0)

    task = wait_done(alice, task_id)
    assert task["status"] == "SUCCEEDED"
    assert task["faults"] >= 2
    assert task["bytes_transferred"] == len(content)
    assert (folder / "out/flaky.bin").read_bytes() == content
    errors = [e for e in alice.paginated.task_event_list(task_id).items() if e["is_error"]]
    assert errors and all(e["code"] == "CONNECTION_RESET" for e in errors)


def test_unavailable_collection_pauses_the_task_until_it_returns(emulator, alice, laptop, emulator_setting):
    collection_id, folder, path = laptop
    content = os.urandom(20 * SLOW)
    (folder / "outage.bin").write_bytes(content)
    emulator_setting(throughput=SLOW)
    task_id = submit_copy(alice, collection_id, f"{path}/outage.bin", f"{path}/out/outage.bin")
    poll(alice, task_id, lambda t: t["bytes_transferred"] > 0)
    assert emulator.control_post(f"collections/{collection_id}/availability", {"available": False}).status_code == 200
    try:
        blocked = poll(alice, task_id, lambda t: t["nice_status"] == "CONNECT_FAILED")
        assert blocked["status"] == "ACTIVE" and blocked["faults"] >= 1 and blocked["is_ok"] is False
    finally:
        emulator.control_post(f"collections/{collection_id}/availability", {"available": True})
    emulator_setting(throughput=0)
    task = wait_done(alice, task_id)
    assert task["status"] == "SUCCEEDED"
    assert (folder / "out/outage.bin").read_bytes() == content
    codes = [e["code"] for e in alice.paginated.task_event_list(task_id).items()]
    assert "CONNECT_FAILED" in codes and "CONNECTED" in codes


def test_deadline_reached_while_running_fails_the_task(alice, laptop, emulator_setting):
    collection_id, folder, path = laptop
    (folder / "slow.bin").write_bytes(os.urandom(50 * SLOW))
    emulator_setting(throughput=SLOW)
    deadline = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 2))
    task_id = submit_copy(alice, collection_id, f"{path}/slow.bin", f"{path}/out/slow.bin", deadline=deadline)
    task = wait_done(alice, task_id)
    assert task["status"] == "FAILED" and task["fatal_error"]["code"] == "DEADLINE_EXCEEDED"
    assert task["subtasks_expired"] >= 1
    assert not (folder / "out/slow.bin").exists()


def test_active_tasks_resume_after_an_emulator_restart(tmp_path):
    instance = tmp_path / "restart-instance"
    process, running = start_emulator(instance, "--throughput", str(SLOW))
    try:
        tc = transfer_as(running, "alice")
        collection = running.collection("alice-laptop")
        folder = Path(collection["data_root"]) / "restart"
        folder.mkdir()
        content = os.urandom(40 * SLOW)
        (folder / "survivor.bin").write_bytes(content)
        (folder / "first.txt").write_text("copied before the restart")
        data = globus_sdk.TransferData(collection["id"], collection["id"], label="survives restarts")
        data.add_item("/restart/first.txt", "/restart/out/first.txt")
        data.add_item("/restart/survivor.bin", "/restart/out/survivor.bin")
        task_id = tc.submit_transfer(data)["task_id"]
        poll(
            tc,
            task_id,
            lambda t: t["files_transferred"] == 1 and t["bytes_transferred"] > len("copied before the restart"),
        )
    finally:
        stop_emulator(process)

    process, running = start_emulator(instance, "--throughput", "0")
    try:
        tc = globus_sdk.TransferClient(authorizer=tc.authorizer, base_url=running.services["transfer"])
        task = wait_done(tc, task_id)
        assert task["status"] == "SUCCEEDED"
        assert task["files_transferred"] == task["files"] == 2
        assert task["bytes_transferred"] == len(content) + len("copied before the restart")
        assert (folder / "out/survivor.bin").read_bytes() == content
        codes = [e["code"] for e in tc.paginated.task_event_list(task_id).items()]
        assert "RESTARTED" in codes and "STARTED" in codes
        transfers = list(tc.paginated.task_successful_transfers(task_id).items())
        assert sorted(t["destination_path"] for t in transfers) == [
            "/restart/out/first.txt",
            "/restart/out/survivor.bin",
        ]
    finally:
        stop_emulator(process)
