"""Endpoint manager API: what collection administrators see of other users' tasks and can do to them.

Carol administers the lab's mapped collections (and so the guest collections they host); Alice's
tasks into *Cryo-EM Shared Data* are therefore visible to Carol, but not to Bob or Dave.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import globus_sdk
import pytest

from tests.emulator.test_transfer_tasks import fixture_json, wait_done
from tests.emulator.test_transfer_tasks_runtime import SLOW, poll


@pytest.fixture
def upload(emulator):
    """Make a file on Alice's laptop; returns (laptop id, shared id, laptop path of the file)."""
    laptop = emulator.collection("alice-laptop")
    shared = emulator.collection("cryoem-shared")

    def make(size: int) -> tuple[str, str, str]:
        name = f"manager-tests/{uuid.uuid4().hex}.bin"
        target = Path(laptop["data_root"]) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(os.urandom(size))
        return laptop["id"], shared["id"], f"/{name}"

    return make


def submit_to_shared(alice, upload, size: int = 1000, **options) -> tuple[str, str]:
    laptop_id, shared_id, path = upload(size)
    data = globus_sdk.TransferData(laptop_id, shared_id, **options)
    data.add_item(path, f"/incoming{path}")
    return alice.submit_transfer(data)["task_id"], shared_id


def test_monitored_endpoints_follow_roles_and_hosts(emulator, carol, bob):
    monitored = {c["id"] for c in carol.endpoint_manager_monitored_endpoints()["DATA"]}
    for slug in ("lab-archive", "campus-cluster", "cryoem-shared", "alice-project", "public-reference"):
        assert emulator.collection(slug)["id"] in monitored
    assert emulator.collection("alice-laptop")["id"] not in monitored
    assert list(bob.endpoint_manager_monitored_endpoints()["DATA"]) == []


def test_manager_task_list_shows_other_users_tasks_on_monitored_collections(carol, bob, alice, upload):
    ids = []
    for _ in range(3):
        task_id, shared_id = submit_to_shared(alice, upload)
        ids.append(task_id)
    for task_id in ids:
        wait_done(alice, task_id)

    page = carol.endpoint_manager_task_list(filter_endpoint=shared_id, query_params={"limit": 2})
    reference = fixture_json("endpoint_manager_task_list")
    assert set(reference) <= set(page.data)
    assert set(reference["DATA"][0]) <= set(page["DATA"][0])
    assert page["has_next_page"] is True and page["last_key"]
    assert page["DATA"][0]["task_id"] == ids[-1]
    assert page["DATA"][0]["owner_string"] == "alice@example.edu"

    seen = [
        t["task_id"]
        for t in carol.paginated.endpoint_manager_task_list(
            filter_endpoint=shared_id, filter_endpoint_use="destination", query_params={"limit": 2}
        ).items()
    ]
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    # Other tests share this emulator and may read from the collection: only our tasks are known
    # to use it purely as a destination.
    as_source = carol.paginated.endpoint_manager_task_list(
        filter_endpoint=shared_id, filter_endpoint_use="source", query_params={"limit": 100}
    ).items()
    assert not set(ids) & {t["task_id"] for t in as_source}
    by_id = carol.endpoint_manager_task_list(filter_task_id=ids[:2])
    assert {t["task_id"] for t in by_id} == set(ids[:2])

    with pytest.raises(globus_sdk.TransferAPIError) as denied:
        bob.endpoint_manager_task_list(filter_endpoint=shared_id)
    assert denied.value.http_status == 403
    with pytest.raises(globus_sdk.TransferAPIError) as denied_ids:
        bob.endpoint_manager_task_list(filter_task_id=ids[:1])
    assert denied_ids.value.http_status == 403


def test_manager_task_list_requires_a_narrowing_filter(carol):
    with pytest.raises(globus_sdk.TransferAPIError) as unfiltered:
        carol.endpoint_manager_task_list()
    assert unfiltered.value.http_status == 400
    with pytest.raises(globus_sdk.TransferAPIError) as combined:
        carol.endpoint_manager_task_list(filter_task_id=[str(uuid.uuid4())], filter_status="ACTIVE")
    assert combined.value.http_status == 400
    running = carol.endpoint_manager_task_list(filter_status=["ACTIVE", "INACTIVE"])
    # The filter names two statuses, so each task listed may have either.
    assert all(t["status"] in ("ACTIVE", "INACTIVE") for t in running)


def test_manager_views_of_one_task(emulator, carol, bob, alice, upload):
    task_id, shared_id = submit_to_shared(alice, upload)
    wait_done(alice, task_id)
    task = carol.endpoint_manager_get_task(task_id)
    assert task["task_id"] == task_id and task["status"] == "SUCCEEDED"
    assert task["destination_host_endpoint_id"] == emulator.collection("lab-archive")["id"]
    assert task["destination_host_endpoint_display_name"] == "Lab Archive"
    transfers = carol.endpoint_manager_task_successful_transfers(task_id)
    assert set(fixture_json("endpoint_manager_task_successful_transfers")) <= set(transfers.data)
    assert len(transfers["DATA"]) == 1
    events = carol.endpoint_manager_task_event_list(task_id)
    assert events["total"] >= 2
    assert not list(carol.endpoint_manager_task_event_list(task_id, filter_is_error=True))
    assert carol.endpoint_manager_task_pause_info(task_id)["pause_rules"] == []

    for call in (bob.endpoint_manager_get_task, bob.endpoint_manager_task_event_list):
        with pytest.raises(globus_sdk.TransferAPIError) as err:
            call(task_id)
        assert err.value.http_status == 403
    with pytest.raises(globus_sdk.TransferAPIError) as missing:
        carol.endpoint_manager_get_task(str(uuid.uuid4()))
    assert missing.value.http_status == 404


def test_error_events_can_be_filtered(carol, alice, emulator):
    laptop = emulator.collection("alice-laptop")["id"]
    shared = emulator.collection("cryoem-shared")["id"]
    data = globus_sdk.TransferData(laptop, shared)
    data.add_item(f"/manager-tests/absent-{uuid.uuid4().hex}.bin", "/incoming/absent.bin")
    task_id = alice.submit_transfer(data)["task_id"]
    assert wait_done(alice, task_id)["status"] == "FAILED"
    errors = list(carol.endpoint_manager_task_event_list(task_id, filter_is_error=True))
    assert errors and all(e["is_error"] for e in errors)
    assert errors[0]["code"] == "FILE_NOT_FOUND"


def test_admin_pause_stops_a_task_and_resume_lets_it_finish(carol, bob, alice, upload, emulator_setting):
    emulator_setting(throughput=SLOW)
    task_id, _shared = submit_to_shared(alice, upload, size=20 * SLOW)
    poll(alice, task_id, lambda t: t["bytes_transferred"] > 0)

    with pytest.raises(globus_sdk.TransferAPIError) as denied:
        bob.endpoint_manager_pause_tasks([task_id], "bob is not a manager")
    assert denied.value.http_status == 403
    paused = carol.endpoint_manager_pause_tasks([task_id], "Storage maintenance")
    assert paused["task_id_list"] == [task_id]

    seen = alice.get_task(task_id)
    assert seen["is_paused"] is True and seen["status"] == "ACTIVE" and seen["nice_status"] == "PAUSED_BY_ADMIN"
    info = alice.task_pause_info(task_id)
    assert info["DATA_TYPE"] == "pause_info_limited"
    assert info["destination_pause_message"] == "Storage maintenance"
    assert info["pause_rules"][0]["DATA_TYPE"] == "pause_rule_limited"
    # Once the runner has settled into the pause, no more bytes move.
    time.sleep(1)
    frozen = alice.get_task(task_id)["bytes_transferred"]
    time.sleep(1)
    assert alice.get_task(task_id)["bytes_transferred"] == frozen < 20 * SLOW

    emulator_setting(throughput=0)
    resumed = carol.endpoint_manager_resume_tasks([task_id])
    assert resumed["task_id_list"] == [task_id]
    task = wait_done(alice, task_id)
    assert task["status"] == "SUCCEEDED" and task["is_paused"] is False
    codes = [e["code"] for e in alice.paginated.task_event_list(task_id).items()]
    assert "PAUSED" in codes and "RESUMED" in codes


def test_admin_cancel_cancels_other_users_tasks(carol, bob, alice, upload, emulator_setting):
    emulator_setting(throughput=SLOW)
    task_id, _shared = submit_to_shared(alice, upload, size=20 * SLOW)
    poll(alice, task_id, lambda t: t["bytes_transferred"] > 0)

    with pytest.raises(globus_sdk.TransferAPIError) as denied:
        bob.endpoint_manager_cancel_tasks([task_id], "not allowed")
    assert denied.value.http_status == 403
    result = carol.endpoint_manager_cancel_tasks([task_id], "Cancelled: collection is being migrated")
    assert result["DATA_TYPE"] == "admin_cancel" and result["task_id_list"] == [task_id]
    status = carol.endpoint_manager_cancel_status(result["id"])
    assert status["done"] is True

    task = alice.get_task(task_id)
    assert task["status"] == "FAILED" and task["fatal_error"]["code"] == "CANCELED"
    assert task["canceled_by_admin"] == "DESTINATION"
    assert task["canceled_by_admin_message"] == "Cancelled: collection is being migrated"
    with pytest.raises(globus_sdk.TransferAPIError) as foreign:
        bob.endpoint_manager_cancel_status(result["id"])
    assert foreign.value.http_status == 404
