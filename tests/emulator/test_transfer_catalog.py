"""Endpoint search and endpoint documents, driven through the real globus_sdk.TransferClient."""

from __future__ import annotations

import globus_sdk
import pytest

from tests.emulator.transfer_clients import collection_id, fixture_keys, transfer_as

CAMPUS = collection_id("campus-cluster")
ARCHIVE = collection_id("lab-archive")
SHARED = collection_id("cryoem-shared")
PROJECT = collection_id("alice-project")
PUBLIC = collection_id("public-reference")
LAPTOP = collection_id("alice-laptop")


def ids(response) -> list[str]:
    return [item["id"] for item in response["DATA"]]


def test_get_endpoint_has_every_key_of_the_sdk_fixture(emulator):
    document = transfer_as(emulator, "alice").get_endpoint(SHARED)
    missing = fixture_keys(globus_sdk.TransferClient.get_endpoint) - set(document.data)
    assert not missing
    assert document["DATA_TYPE"] == "endpoint"
    assert document["id"] == SHARED
    assert document["display_name"] == "Cryo-EM Shared Data"


def test_endpoint_documents_describe_each_kind_of_collection(emulator):
    tc = transfer_as(emulator, "alice")
    expected = {
        CAMPUS: ("GCSv5_mapped_collection", None),
        ARCHIVE: ("GCSv5_mapped_collection", None),
        SHARED: ("GCSv5_guest_collection", ARCHIVE),
        PROJECT: ("GCSv5_guest_collection", CAMPUS),
        PUBLIC: ("GCSv5_guest_collection", None),
        LAPTOP: ("GCP_mapped_collection", None),
    }
    for cid, (entity_type, host) in expected.items():
        document = tc.get_endpoint(cid)
        assert document["entity_type"] == entity_type, cid
        assert document["host_endpoint_id"] == host, cid
        assert document["non_functional"] is False
    assert tc.get_endpoint(SHARED)["https_server"] == f"{emulator.base_url}/https/{SHARED}"
    assert tc.get_endpoint(LAPTOP)["is_globus_connect"] is True
    assert tc.get_endpoint(LAPTOP)["https_server"] is None
    assert tc.get_endpoint(CAMPUS)["gcs_version"]


def test_owner_and_roles_are_reported_per_caller(emulator):
    carol = transfer_as(emulator, "carol")
    alice = transfer_as(emulator, "alice")
    carol_user = emulator.user("carol")
    archive = carol.get_endpoint(ARCHIVE)
    assert archive["owner_id"] == carol_user["identity_id"]
    assert archive["owner_string"] == "carol@example.edu"
    assert "administrator" in archive["my_effective_roles"]
    assert alice.get_endpoint(ARCHIVE)["my_effective_roles"] == []
    assert alice.get_endpoint(PROJECT)["my_effective_roles"] == ["administrator"]
    shared_for_carol = carol.get_endpoint(SHARED)
    assert "access_manager" in shared_for_carol["my_effective_roles"]
    assert shared_for_carol["acl_editable"] is True
    assert alice.get_endpoint(SHARED)["acl_editable"] is False


def test_unknown_or_malformed_endpoint_id_is_endpoint_not_found(emulator):
    tc = transfer_as(emulator, "alice")
    for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        with pytest.raises(globus_sdk.TransferAPIError) as caught:
            tc.get_endpoint(bad)
        assert caught.value.http_status == 404
        assert caught.value.code == "EndpointNotFound"


def test_requests_without_a_valid_token_are_refused(emulator):
    anonymous = globus_sdk.TransferClient(base_url=emulator.services["transfer"])
    with pytest.raises(globus_sdk.TransferAPIError) as caught:
        anonymous.get_endpoint(SHARED)
    assert caught.value.http_status == 401
    forged = globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer("not-a-real-token"), base_url=emulator.services["transfer"]
    )
    with pytest.raises(globus_sdk.TransferAPIError) as caught:
        forged.endpoint_search("lab")
    assert caught.value.http_status == 401


def test_fulltext_search_finds_matching_collections(emulator):
    result = transfer_as(emulator, "alice").endpoint_search("cryo-em shared")
    assert result["DATA_TYPE"] == "endpoint_list"
    assert ids(result) == [SHARED]
    item = result["DATA"][0]
    assert item["DATA_TYPE"] == "endpoint"
    assert not fixture_keys(globus_sdk.TransferClient.get_endpoint) - set(item)
    assert {"offset", "limit", "has_next_page"} <= set(result.data)


def test_fulltext_search_hides_private_collections_from_others(emulator):
    alice_sees = set(ids(transfer_as(emulator, "alice").endpoint_search("alice")))
    dave_sees = set(ids(transfer_as(emulator, "dave").endpoint_search("alice")))
    assert {PROJECT, LAPTOP} <= alice_sees
    assert PROJECT not in dave_sees and LAPTOP not in dave_sees
    bob_sees = set(ids(transfer_as(emulator, "bob").endpoint_search("alice")))
    assert PROJECT in bob_sees  # shared with bob by an ACL rule
    assert LAPTOP not in bob_sees


@pytest.mark.parametrize(
    ("user", "scope", "expected"),
    [
        ("alice", "my-endpoints", {PROJECT, LAPTOP}),
        ("alice", "my-gcp-endpoints", {LAPTOP}),
        ("alice", "shared-by-me", {PROJECT}),
        ("bob", "shared-with-me", {PROJECT, SHARED}),
        ("dave", "shared-with-me", set()),
        ("carol", "administered-by-me", {CAMPUS, ARCHIVE, SHARED, PUBLIC}),
        ("dave", "administered-by-me", set()),
    ],
)
def test_search_scopes(emulator, user, scope, expected):
    result = transfer_as(emulator, user).endpoint_search(filter_scope=scope)
    assert set(ids(result)) == expected


def test_recently_used_lists_collections_after_use_newest_first(emulator):
    tc = transfer_as(emulator, "bob")
    tc.operation_ls(PUBLIC)
    tc.operation_ls(SHARED)
    recent = ids(tc.endpoint_search(filter_scope="recently-used"))
    assert recent[:2] == [SHARED, PUBLIC]


def test_search_filters_by_entity_type_owner_and_host(emulator):
    tc = transfer_as(emulator, "carol")
    mapped = tc.endpoint_search("example", filter_entity_type="GCSv5_mapped_collection")
    assert set(ids(mapped)) == {CAMPUS, ARCHIVE}
    hosted = tc.endpoint_search(filter_scope="all", filter_host_endpoint=ARCHIVE)
    assert ids(hosted) == [SHARED]
    owned_by_alice = tc.endpoint_search(filter_owner_id=emulator.user("alice")["identity_id"])
    assert ids(owned_by_alice) == []  # both of alice's collections are private
    owned_by_carol = transfer_as(emulator, "alice").endpoint_search(
        filter_owner_id=emulator.user("carol")["identity_id"]
    )
    assert set(ids(owned_by_carol)) == {CAMPUS, ARCHIVE, SHARED, PUBLIC}
    assert ids(tc.endpoint_search("example", filter_non_functional=True)) == []


def test_search_pages_with_limit_offset_and_the_sdk_paginator(emulator):
    tc = transfer_as(emulator, "carol")
    first = tc.endpoint_search("example", limit=3)
    second = tc.endpoint_search("example", limit=3, offset=3)
    everything = tc.endpoint_search("example", limit=100)
    assert first["has_next_page"] is True
    assert second["has_next_page"] is False
    assert everything["has_next_page"] is False
    assert ids(first) + ids(second) == ids(everything)
    assert set(ids(everything)) == {CAMPUS, ARCHIVE, SHARED, PUBLIC}
    paged = [item["id"] for item in tc.paginated.endpoint_search("example").items()]
    assert paged == ids(everything)


@pytest.mark.parametrize(
    "params",
    [
        {},  # scope "all" needs text
        {"filter_scope": "everything"},
        {"filter_fulltext": "lab", "limit": 0},
        {"filter_fulltext": "lab", "limit": 101},
        {"filter_fulltext": "lab", "offset": 990, "limit": 20},
        {"filter_fulltext": "lab", "limit": "ten"},
        {"filter_fulltext": "lab", "filter_entity_type": "GCSv4_host"},
        {"filter_scope": "my-endpoints", "filter_owner_id": "6062f76a-ea77-5439-ab94-d744001da8d6"},
    ],
)
def test_bad_search_parameters_are_400(emulator, params):
    with pytest.raises(globus_sdk.TransferAPIError) as caught:
        transfer_as(emulator, "alice").get("/v0.10/endpoint_search", query_params=params)
    assert caught.value.http_status == 400
    assert caught.value.message


def test_in_use_lists_collections_of_the_callers_active_tasks(emulator, emulator_setting):
    emulator_setting(throughput=1)  # one byte per second: the task stays active until cancelled
    bob = transfer_as(emulator, "bob")
    data = globus_sdk.TransferData(source_endpoint=PUBLIC, destination_endpoint=SHARED, label="in-use check")
    data.add_item("/README.txt", "/in-use-check.txt")
    task_id = bob.submit_transfer(data)["task_id"]
    try:
        assert set(ids(bob.endpoint_search(filter_scope="in-use"))) == {PUBLIC, SHARED}
        assert bob.get_endpoint(SHARED)["in_use"] is True
        assert ids(transfer_as(emulator, "dave").endpoint_search(filter_scope="in-use")) == []
    finally:
        bob.cancel_task(task_id)
    assert ids(bob.endpoint_search(filter_scope="in-use")) == []
