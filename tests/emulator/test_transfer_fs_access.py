"""Who may list and change what: mapped, guest, personal and public collections, consent, outages."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import globus_sdk
import globus_sdk.gare
import pytest

from tests.emulator.transfer_clients import api_error, collection_id, data_access_scope, transfer_as

CAMPUS = collection_id("campus-cluster")
ARCHIVE = collection_id("lab-archive")
SHARED = collection_id("cryoem-shared")
PROJECT = collection_id("alice-project")
PUBLIC = collection_id("public-reference")
LAPTOP = collection_id("alice-laptop")


def test_dave_is_denied_on_the_lab_share(emulator):
    dave = transfer_as(emulator, "dave")
    error = api_error(dave.operation_ls, SHARED)
    assert error.http_status == 403 and error.code == "EndpointPermissionDenied"
    error = api_error(dave.operation_stat, SHARED, "/README.txt")
    assert error.http_status == 403
    error = api_error(dave.operation_mkdir, SHARED, "/dave was here/")
    assert error.http_status == 403


def test_group_members_read_and_write_the_lab_share(emulator):
    bob = transfer_as(emulator, "bob")
    assert bob.operation_ls(SHARED)["DATA"]
    name = f"bob group write check {uuid.uuid4().hex[:8]}"
    try:
        bob.operation_mkdir(SHARED, f"/{name}/")
        bob.operation_rename(SHARED, f"/{name}/", f"/{name} (done)/")
        assert f"{name} (done)" in [e["name"] for e in bob.operation_ls(SHARED)["DATA"]]
    finally:
        shutil.rmtree(Path(emulator.collection("cryoem-shared")["data_root"]) / f"{name} (done)", ignore_errors=True)


def test_bob_reads_but_cannot_change_alice_project(emulator):
    bob = transfer_as(emulator, "bob")
    assert {"analysis", "figures"} <= {entry["name"] for entry in bob.operation_ls(PROJECT)["DATA"]}
    assert bob.operation_stat(PROJECT, "/analysis")["type"] == "dir"
    error = api_error(bob.operation_mkdir, PROJECT, "/analysis/bob/")
    assert error.http_status == 403 and error.code == "EndpointPermissionDenied"
    error = api_error(bob.operation_rename, PROJECT, "/figures", "/figs")
    assert error.http_status == 403
    assert transfer_as(emulator, "alice").operation_stat(PROJECT, "/figures")["type"] == "dir"


def test_personal_collection_is_owner_only(emulator):
    assert transfer_as(emulator, "alice").operation_ls(LAPTOP)["DATA"]
    for other in ("bob", "carol", "dave"):
        error = api_error(transfer_as(emulator, other).operation_ls, LAPTOP)
        assert error.http_status == 403, other


def test_public_collection_is_readable_by_all_and_writable_by_none(emulator):
    for user in ("alice", "dave"):
        tc = transfer_as(emulator, user)
        assert "README.txt" in [entry["name"] for entry in tc.operation_ls(PUBLIC)["DATA"]]
        error = api_error(tc.operation_mkdir, PUBLIC, f"/{user}-upload/")
        assert error.http_status == 403


def test_mapped_collection_admits_only_mapped_identities(emulator):
    assert transfer_as(emulator, "alice").operation_ls(ARCHIVE)["DATA"]
    error = api_error(transfer_as(emulator, "dave").operation_ls, ARCHIVE)
    assert error.http_status == 403 and error.code == "EndpointPermissionDenied"


def test_consent_required_until_data_access_is_consented(emulator):
    plain = transfer_as(emulator, "alice")
    error = api_error(plain.operation_ls, CAMPUS)
    scope = data_access_scope(CAMPUS)
    assert error.http_status == 403 and error.code == "ConsentRequired"
    assert error.info.consent_required
    assert error.info.consent_required.required_scopes == [scope]
    gare = globus_sdk.gare.to_gare(error)
    assert gare is not None
    assert gare.authorization_parameters.required_scopes == [scope]
    # The same happens for every file operation, not only ls.
    assert api_error(plain.operation_mkdir, CAMPUS, "/scratch/alice/x/").code == "ConsentRequired"

    consented = transfer_as(emulator, "alice", scope)
    listing = consented.operation_ls(CAMPUS)
    assert {"projects", "scratch", "home"} <= {entry["name"] for entry in listing["DATA"]}


def test_consent_does_not_admit_an_unmapped_identity(emulator):
    dave = transfer_as(emulator, "dave", data_access_scope(CAMPUS))
    error = api_error(dave.operation_ls, CAMPUS)
    assert error.http_status == 403 and error.code == "EndpointPermissionDenied"


def test_guest_collection_on_a_consent_collection_needs_no_consent(emulator):
    # alice-project is hosted on campus-cluster, but guest collections carry their own access.
    assert transfer_as(emulator, "alice").operation_ls(PROJECT)["DATA"]


@pytest.fixture
def unavailable_archive(emulator):
    response = emulator.control_post(f"collections/{ARCHIVE}/availability", {"available": False})
    assert response.status_code == 200, response.text
    yield ARCHIVE
    restored = emulator.control_post(f"collections/{ARCHIVE}/availability", {"available": True})
    assert restored.status_code == 200, restored.text


def test_unavailable_collection_answers_503_endpoint_error(emulator, unavailable_archive):
    carol = transfer_as(emulator, "carol")
    error = api_error(carol.operation_ls, ARCHIVE)
    assert error.http_status == 503 and error.code == "EndpointError"
    # A guest collection is down with its host.
    error = api_error(carol.operation_ls, SHARED)
    assert error.http_status == 503
    # Other collections and the catalogue keep working.
    assert carol.get_endpoint(ARCHIVE)["id"] == ARCHIVE
    assert carol.operation_ls(PUBLIC)["DATA"]


def test_collection_serves_again_after_outage(emulator):
    response = emulator.control_post(f"collections/{ARCHIVE}/availability", {"available": False})
    assert response.status_code == 200
    response = emulator.control_post(f"collections/{ARCHIVE}/availability", {"available": True})
    assert response.status_code == 200
    assert transfer_as(emulator, "carol").operation_ls(ARCHIVE)["DATA"]


def test_availability_of_unknown_collection_is_404(emulator):
    response = emulator.control_post(
        "collections/00000000-0000-0000-0000-000000000000/availability", {"available": False}
    )
    assert response.status_code == 404
