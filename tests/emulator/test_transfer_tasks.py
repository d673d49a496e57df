"""Transfer task API of the emulator, driven by the real globus-sdk TransferClient over HTTP.

Covers submission (ids, duplicates, validation, permissions), the task documents and lists, and
the response shapes of the SDK's own `globus_sdk.testing` fixtures.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import globus_sdk
import pytest
from globus_sdk.testing import get_response_set

from tests.emulator.transfer_clients import transfer_as

TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"


def fixture_json(method: str) -> dict:
    """The default canned response of a TransferClient method in globus_sdk.testing."""
    return get_response_set(getattr(globus_sdk.TransferClient, method)).lookup("default").json


@pytest.fixture
def laptop(emulator) -> tuple[str, Path]:
    """Alice's personal collection: its id and folder on disk."""
    collection = emulator.collection("alice-laptop")
    return collection["id"], Path(collection["data_root"])


@pytest.fixture
def public(emulator) -> tuple[str, Path]:
    collection = emulator.collection("public-reference")
    return collection["id"], Path(collection["data_root"])


def wait_done(tc: globus_sdk.TransferClient, task_id: str) -> dict:
    assert tc.task_wait(task_id, timeout=60, polling_interval=1), f"task {task_id} did not finish"
    return tc.get_task(task_id).data


def small_transfer(tc, source: str, destination: str, label: str = "api test") -> dict:
    data = globus_sdk.TransferData(source, destination, label=label)
    data.add_item("/README.txt", f"/api-tests/{uuid.uuid4().hex}/README.txt")
    return tc.submit_transfer(data).data


def test_submission_id_and_submit_transfer_match_sdk_fixture_shapes(alice, public, laptop):
    submission = alice.get_submission_id()
    assert set(fixture_json("get_submission_id")) <= set(submission.data)
    uuid.UUID(submission["value"])

    data = globus_sdk.TransferData(public[0], laptop[0], label="shape check", submission_id=submission["value"])
    data.add_item("/README.txt", f"/api-tests/{uuid.uuid4().hex}/README.txt")
    result = alice.submit_transfer(data)

    assert result.http_status == 202
    assert set(fixture_json("submit_transfer")) <= set(result.data)
    assert set(fixture_json("submit_transfer")["task_link"]) <= set(result["task_link"])
    assert result["code"] == "Accepted"
    assert result["DATA_TYPE"] == "transfer_result"
    assert result["submission_id"] == submission["value"]
    wait_done(alice, result["task_id"])


def test_resubmitting_a_submission_id_returns_the_same_task(alice, public, laptop):
    data = globus_sdk.TransferData(public[0], laptop[0], label="retry safe")
    data.add_item("/README.txt", f"/api-tests/{uuid.uuid4().hex}/README.txt")
    first = alice.submit_transfer(data)  # the SDK fetches and stores a submission id in `data`
    second = alice.submit_transfer(data)

    assert first["code"] == "Accepted"
    assert second["code"] == "Duplicate"
    assert second.http_status == 200
    assert second["task_id"] == first["task_id"]
    same_submission = alice.task_list(filter={"label": "retry safe", "task_id": [first["task_id"]]})
    assert same_submission["total"] == 1


def test_submit_delete_matches_fixture_shape(alice, laptop):
    folder = laptop[1] / "api-tests" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    (folder / "old.txt").write_text("old")
    data = globus_sdk.DeleteData(laptop[0], label="delete shape")
    data.add_item(f"/api-tests/{folder.name}/old.txt")
    result = alice.submit_delete(data)

    assert set(fixture_json("submit_delete")) <= set(result.data)
    assert result["DATA_TYPE"] == "delete_result"
    assert wait_done(alice, result["task_id"])["status"] == "SUCCEEDED"
    assert not (folder / "old.txt").exists()


def test_task_list_and_task_document_have_every_fixture_field(alice, public, laptop):
    result = small_transfer(alice, public[0], laptop[0], label="fields check")
    task = wait_done(alice, result["task_id"])
    listing = alice.task_list(filter={"task_id": [result["task_id"]]}, limit=5)

    reference = fixture_json("task_list")
    assert set(reference) <= set(listing.data)
    assert listing["DATA_TYPE"] == "task_list"
    assert listing["total"] == listing["length"] == 1
    entry = listing["DATA"][0]
    assert set(reference["DATA"][0]) <= set(entry)
    assert set(reference["DATA"][0]) <= set(task)
    for name in ("owner_string", "source_endpoint_display_name", "destination_endpoint_display_name", "fatal_error"):
        assert name in task
    assert task["status"] == "SUCCEEDED"
    assert task["type"] == "TRANSFER"
    assert task["label"] == "fields check"
    assert task["source_endpoint_id"] == public[0]
    assert task["destination_endpoint_display_name"] == "Alice's Laptop"
    assert task["files"] == task["files_transferred"] == 1
    assert task["bytes_transferred"] == (public[1] / "README.txt").stat().st_size
    assert task["subtasks_pending"] == 0 and task["subtasks_succeeded"] == task["subtasks_total"]
    assert task["completion_time"] is not None and task["nice_status"] is None


def test_task_list_filters_order_and_paginates(alice, public, laptop):
    label = f"list-{uuid.uuid4().hex[:8]}"
    ids = [small_transfer(alice, public[0], laptop[0], label=label)["task_id"] for _ in range(3)]
    for task_id in ids:
        wait_done(alice, task_id)

    mine = alice.task_list(filter=f"label:{label}/type:TRANSFER/status:SUCCEEDED", orderby="request_time ASC")
    assert [t["task_id"] for t in mine] == ids
    newest_first = alice.task_list(filter=f"label:{label}", orderby="request_time DESC", limit=2)
    assert newest_first["total"] == 3 and newest_first["length"] == 2
    assert newest_first["DATA"][0]["task_id"] == ids[-1]
    assert alice.task_list(filter=f"label:{label}/type:DELETE")["total"] == 0
    assert alice.task_list(filter=f"label:~{label[5:].upper()}")["total"] == 3

    paged = [t["task_id"] for t in alice.paginated.task_list(filter=f"label:{label}", limit=1).items()]
    assert sorted(paged) == sorted(ids)


def test_task_list_rejects_unknown_filters_and_orderings(alice):
    with pytest.raises(globus_sdk.TransferAPIError) as bad_filter:
        alice.task_list(filter="colour:blue")
    assert bad_filter.value.http_status == 400
    with pytest.raises(globus_sdk.TransferAPIError) as bad_status:
        alice.task_list(filter={"status": ["SLEEPING"]})
    assert bad_status.value.http_status == 400
    with pytest.raises(globus_sdk.TransferAPIError) as bad_order:
        alice.task_list(orderby="owner_id SIDEWAYS")
    assert bad_order.value.http_status == 400


def test_another_users_task_is_invisible(alice, bob, public, laptop):
    task_id = small_transfer(alice, public[0], laptop[0], label="private to alice")["task_id"]
    wait_done(alice, task_id)

    for call in (
        bob.get_task,
        bob.cancel_task,
        bob.task_event_list,
        bob.task_successful_transfers,
        bob.task_pause_info,
    ):
        with pytest.raises(globus_sdk.TransferAPIError) as err:
            call(task_id)
        assert err.value.http_status == 404
    assert task_id not in {t["task_id"] for t in bob.paginated.task_list().items()}
    with pytest.raises(globus_sdk.TransferAPIError) as update:
        bob.update_task(task_id, {"label": "hijacked"})
    assert update.value.http_status == 404


def test_cancel_of_a_finished_task_reports_task_complete(alice, public, laptop):
    task_id = small_transfer(alice, public[0], laptop[0])["task_id"]
    wait_done(alice, task_id)
    result = alice.cancel_task(task_id)
    assert set(fixture_json("cancel_task")) <= set(result.data)
    assert result["code"] == "TaskComplete"
    assert alice.get_task(task_id)["status"] == "SUCCEEDED"


def test_event_list_is_paged_newest_first(alice, public, laptop):
    task_id = small_transfer(alice, public[0], laptop[0])["task_id"]
    wait_done(alice, task_id)
    events = alice.task_event_list(task_id, limit=1)
    assert events["DATA_TYPE"] == "event_list" and events["total"] >= 2 and events["length"] == 1
    assert events["DATA"][0]["code"] == "SUCCEEDED"
    everything = list(alice.paginated.task_event_list(task_id, limit=1).items())
    assert [e["code"] for e in everything][-1] == "STARTED"
    assert {"DATA_TYPE", "code", "is_error", "description", "details", "time"} <= set(everything[0])


def test_update_task_changes_label_only_while_running(alice, public, laptop):
    task_id = small_transfer(alice, public[0], laptop[0], label="before")["task_id"]
    wait_done(alice, task_id)
    with pytest.raises(globus_sdk.TransferAPIError) as done:
        alice.update_task(task_id, {"label": "after"})
    assert done.value.http_status == 409
    with pytest.raises(globus_sdk.TransferAPIError) as unknown:
        alice.update_task(task_id, {"sync_level": 3})
    assert unknown.value.http_status == 400


@pytest.mark.parametrize(
    "change, code",
    [
        ({"bogus_option": True}, "ClientError.BadRequest.UnknownField"),
        ({"sync_level": 7}, "ClientError.BadRequest"),
        ({"verify_checksum": "yes"}, "ClientError.BadRequest"),
        ({"deadline": "next tuesday"}, "ClientError.BadRequest.InvalidDeadline"),
        ({"label": "two\nlines"}, "ClientError.BadRequest.InvalidLabel"),
        (
            {"filter_rules": [{"DATA_TYPE": "filter_rule", "method": "maybe", "name": "*.txt"}]},
            "ClientError.BadRequest",
        ),
        ({"DATA": []}, "ClientError.BadRequest.NoTransferItems"),
        (
            {"DATA": [{"DATA_TYPE": "transfer_item", "source_path": "/a", "destination_path": "/b", "colour": 1}]},
            "ClientError.BadRequest.UnknownField",
        ),
        (
            {"DATA": [{"DATA_TYPE": "transfer_item", "source_path": "/../../etc/passwd", "destination_path": "/b"}]},
            "EndpointPermissionDenied",
        ),
    ],
)
def test_invalid_transfer_documents_are_refused_and_create_nothing(alice, public, laptop, change, code):
    before = alice.task_list(limit=1)["total"]
    data = globus_sdk.TransferData(public[0], laptop[0], label="invalid")
    data.add_item("/README.txt", "/api-tests/invalid.txt")
    data.update(change)
    with pytest.raises(globus_sdk.TransferAPIError) as err:
        alice.submit_transfer(data)
    assert err.value.code == code
    # A path that leaves the collection is refused as a permission error, everything else as a bad request.
    assert err.value.http_status == (403 if code == "EndpointPermissionDenied" else 400)
    assert alice.task_list(limit=1)["total"] == before


def test_invalid_delete_documents_are_refused(alice, laptop):
    empty = globus_sdk.DeleteData(laptop[0])
    with pytest.raises(globus_sdk.TransferAPIError) as err:
        alice.submit_delete(empty)
    assert err.value.code == "ClientError.BadRequest.NoDeleteItems"
    unknown = globus_sdk.DeleteData(laptop[0], additional_fields={"shred": True})
    unknown.add_item("/nothing")
    with pytest.raises(globus_sdk.TransferAPIError) as err:
        alice.submit_delete(unknown)
    assert err.value.code == "ClientError.BadRequest.UnknownField"


def test_unknown_collection_is_endpoint_not_found(alice, laptop):
    data = globus_sdk.TransferData(str(uuid.uuid4()), laptop[0])
    data.add_item("/a", "/b")
    with pytest.raises(globus_sdk.TransferAPIError) as err:
        alice.submit_transfer(data)
    assert err.value.http_status == 404 and err.value.code == "EndpointNotFound"


def test_permissions_are_checked_at_submission(emulator, dave, bob, public):
    shared = emulator.collection("cryoem-shared")["id"]
    project = emulator.collection("alice-project")["id"]
    to_shared = globus_sdk.TransferData(public[0], shared)
    to_shared.add_item("/README.txt", "/dave-was-here.txt")
    with pytest.raises(globus_sdk.TransferAPIError) as denied:
        dave.submit_transfer(to_shared)
    assert denied.value.http_status == 403 and denied.value.code == "EndpointPermissionDenied"

    # Bob may read Alice's project share but not write to it.
    into_project = globus_sdk.TransferData(public[0], project)
    into_project.add_item("/README.txt", "/bob.txt")
    with pytest.raises(globus_sdk.TransferAPIError) as read_only:
        bob.submit_transfer(into_project)
    assert read_only.value.code == "EndpointPermissionDenied"


def test_mapped_collection_needs_data_access_consent_at_submit(emulator, public):
    cluster = emulator.collection("campus-cluster")
    without = transfer_as(emulator, "alice")
    data = globus_sdk.TransferData(public[0], cluster["id"], label="needs consent")
    data.add_item("/README.txt", f"/scratch/alice/consent-{uuid.uuid4().hex}.txt")
    with pytest.raises(globus_sdk.TransferAPIError) as err:
        without.submit_transfer(data)
    assert err.value.http_status == 403 and err.value.code == "ConsentRequired"
    gare = globus_sdk.gare.to_gare(err.value)
    assert gare is not None
    required = gare.authorization_parameters.required_scopes
    assert any(f"{cluster['id']}/data_access" in scope for scope in required)

    consented = transfer_as(emulator, "alice", required)
    data.pop("submission_id", None)
    accepted = consented.submit_transfer(data)
    assert wait_done(consented, accepted["task_id"])["status"] == "SUCCEEDED"
    copied = Path(cluster["data_root"]) / data["DATA"][0]["destination_path"].lstrip("/")
    assert (
        copied.read_bytes() == (Path(emulator.collection("public-reference")["data_root"]) / "README.txt").read_bytes()
    )
