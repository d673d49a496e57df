"""Our Search answers carry every top-level key of the SDK's canned real payloads.

`globus_sdk.testing` holds responses recorded from the real service. For each Search method the
portal relies on, the default case's keys (and those of its first gmeta result and entry) must
appear in what the emulator returns for the same call.
"""

from __future__ import annotations

import uuid

import globus_sdk
import pytest
from globus_sdk.testing import get_response_set

from tests.emulator.helpers import auth_client

SEARCH_SCOPE = "urn:globus:auth:scope:search.api.globus.org:all"


def reference(method) -> dict:  # noqa: ANN001 - an SDK client method
    """The JSON body of the default canned response for an SDK method."""
    return get_response_set(method).lookup("default").json


def missing_keys(expected: dict, actual: dict) -> set[str]:
    return set(expected) - set(actual)


@pytest.fixture(scope="module")
def index_id(emulator) -> str:
    return emulator.manifest["search_index"]["id"]


@pytest.fixture(scope="module")
def writer(emulator) -> globus_sdk.SearchClient:
    """The automation client, a writer on the seeded index."""
    authorizer = globus_sdk.ClientCredentialsAuthorizer(auth_client(emulator, "automation"), SEARCH_SCOPE)
    return globus_sdk.SearchClient(base_url=emulator.services["search"], authorizer=authorizer)


@pytest.mark.parametrize("method_name", ["post_search", "search"])
def test_query_results_have_reference_keys(writer, index_id, method_name):
    method = getattr(globus_sdk.SearchClient, method_name)
    expected = reference(method)
    if method_name == "post_search":
        ours = writer.post_search(index_id, {"q": "*", "limit": 1}).data
    else:
        ours = writer.search(index_id, "*", limit=1).data
    assert not missing_keys(expected, ours)
    assert not missing_keys(expected["gmeta"][0], ours["gmeta"][0])
    assert not missing_keys(expected["gmeta"][0]["entries"][0], ours["gmeta"][0]["entries"][0])
    assert (
        ours["@datatype"] == expected["@datatype"] and ours["gmeta"][0]["@version"] == expected["gmeta"][0]["@version"]
    )


def test_get_index_has_the_index_document_keys(writer, index_id):
    # No canned get_index response exists; create_index and update_index return the same
    # GSearchIndex document, so their keys are the reference for index show.
    ours = writer.get_index(index_id).data
    assert not missing_keys(reference(globus_sdk.SearchClient.create_index), ours)
    assert not missing_keys(reference(globus_sdk.SearchClient.update_index), ours)


def test_index_list_has_reference_keys(writer, index_id):
    expected = reference(globus_sdk.SearchClient.index_list)
    ours = writer.index_list().data
    assert not missing_keys(expected, ours)
    listed = {doc["id"]: doc for doc in ours["index_list"]}
    assert not missing_keys(expected["index_list"][0], listed[index_id])


def test_index_and_role_management_have_reference_keys(writer, emulator):
    created = writer.create_index(f"shape check {uuid.uuid4().hex[:8]}", "fixture shape test").data
    assert not missing_keys(reference(globus_sdk.SearchClient.create_index), created)
    new_index = created["id"]
    principal = f"urn:globus:auth:identity:{emulator.user('bob')['identity_id']}"
    role = writer.create_role(new_index, {"role_name": "writer", "principal": principal}).data
    assert not missing_keys(reference(globus_sdk.SearchClient.create_role), role)
    roles = writer.get_role_list(new_index).data
    expected_roles = reference(globus_sdk.SearchClient.get_role_list)
    assert not missing_keys(expected_roles, roles)
    assert not missing_keys(expected_roles["role_list"][0], roles["role_list"][0])
    updated = writer.update_index(new_index, description="changed").data
    assert not missing_keys(reference(globus_sdk.SearchClient.update_index), updated)
    deleted = writer.delete_index(new_index).data
    assert not missing_keys(reference(globus_sdk.SearchClient.delete_index), deleted)
    reopened = writer.reopen_index(new_index).data
    assert not missing_keys(reference(globus_sdk.SearchClient.reopen_index), reopened)


def test_batch_delete_by_subject_has_reference_keys(writer, index_id):
    subject = f"https://example.org/shape/{uuid.uuid4()}"
    writer.ingest(
        index_id,
        {
            "ingest_type": "GMetaEntry",
            "ingest_data": {"subject": subject, "visible_to": ["public"], "content": {"x": 1}},
        },
    )
    ours = writer.batch_delete_by_subject(index_id, [subject]).data
    assert not missing_keys(reference(globus_sdk.SearchClient.batch_delete_by_subject), ours)
    assert writer.get_task(ours["task_id"])["state"] == "SUCCESS"


def test_ingest_and_task_documents_have_documented_keys(writer, index_id):
    # The SDK ships no canned ingest / get_task / get_subject responses; these are the fields the
    # Globus Search reference documents for them.
    subject = f"https://example.org/shape/{uuid.uuid4()}"
    ingested = writer.ingest(
        index_id,
        {
            "ingest_type": "GMetaEntry",
            "ingest_data": {"subject": subject, "visible_to": ["public"], "content": {"x": 1}},
        },
    ).data
    assert {"acknowledged", "task_id", "success", "num_documents_ingested"} <= set(ingested)
    task = writer.get_task(ingested["task_id"]).data
    assert {
        "task_id",
        "state",
        "state_description",
        "task_type",
        "index_id",
        "creation_date",
        "completion_date",
        "message",
        "additional_details",
    } <= set(task)
    subject_doc = writer.get_subject(index_id, subject).data
    assert {"@datatype", "@version", "subject", "entries"} <= set(subject_doc)
    writer.delete_subject(index_id, subject)
