"""Writing to Search through the real SearchClient: ingest, tasks, subjects, entries, deletes.

Every test writes subjects of its own (a fresh uuid in the subject and a unique marker word)
and removes them again, so the seeded records other tests count stay as they were.
"""

from __future__ import annotations

import uuid

import globus_sdk
import pytest

from tests.emulator.helpers import auth_client, login_user_tokens

SEARCH_SCOPE = "urn:globus:auth:scope:search.api.globus.org:all"


@pytest.fixture(scope="module")
def index_id(emulator) -> str:
    return emulator.manifest["search_index"]["id"]


@pytest.fixture(scope="module")
def user_search(emulator):
    """SearchClient for a seeded user, logging in once per user."""
    clients: dict[str, globus_sdk.SearchClient] = {}

    def build(username: str) -> globus_sdk.SearchClient:
        if username not in clients:
            token = login_user_tokens(emulator, username, SEARCH_SCOPE)["search.api.globus.org"]["access_token"]
            clients[username] = globus_sdk.SearchClient(
                base_url=emulator.services["search"], authorizer=globus_sdk.AccessTokenAuthorizer(token)
            )
        return clients[username]

    return build


@pytest.fixture(scope="module")
def automation(emulator) -> globus_sdk.SearchClient:
    """The automation client acting as itself (client credentials); it is a writer on the index."""
    authorizer = globus_sdk.ClientCredentialsAuthorizer(auth_client(emulator, "automation"), SEARCH_SCOPE)
    return globus_sdk.SearchClient(base_url=emulator.services["search"], authorizer=authorizer)


@pytest.fixture
def marker() -> str:
    """A word no seeded record contains, to find exactly this test's documents."""
    return f"zq{uuid.uuid4().hex[:12]}"


def urn(emulator, username: str) -> str:
    return f"urn:globus:auth:identity:{emulator.user(username)['identity_id']}"


def entry(subject: str, content: dict, visible_to: list[str], entry_id: str | None = None) -> dict:
    doc = {"subject": subject, "visible_to": visible_to, "content": content}
    if entry_id is not None:
        doc["id"] = entry_id
    return doc


def test_ingest_task_get_subject_and_delete(emulator, automation, user_search, index_id, marker):
    subject = f"https://example.org/datasets/{uuid.uuid4()}"
    carol = urn(emulator, "carol")
    response = automation.ingest(
        index_id,
        {
            "ingest_type": "GMetaEntry",
            "ingest_data": entry(subject, {"title": f"Ingested {marker}", "size_bytes": 42}, [carol]),
        },
    )
    assert response["acknowledged"] is True and response["success"] is True
    assert response["num_documents_ingested"] == 1

    task = automation.get_task(response["task_id"])
    assert task["state"] == "SUCCESS" and task["task_id"] == response["task_id"]
    assert task["index_id"] == index_id and task["task_type"] == "INGEST"

    carol_client = user_search("carol")
    got = carol_client.get_subject(index_id, subject)
    assert got["subject"] == subject
    assert got["entries"][0]["content"] == {"title": f"Ingested {marker}", "size_bytes": 42}
    assert [item["subject"] for item in carol_client.search(index_id, marker)["gmeta"]] == [subject]
    assert user_search("dave").search(index_id, marker)["total"] == 0

    deleted = carol_client.delete_subject(index_id, subject)
    assert carol_client.get_task(deleted["task_id"])["state"] == "SUCCESS"
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        carol_client.get_subject(index_id, subject)
    assert caught.value.http_status == 404
    assert carol_client.search(index_id, marker)["total"] == 0


def test_gmetalist_entries_replace_and_get_entry(emulator, automation, user_search, index_id, marker):
    subject = f"globus://{uuid.uuid4()}/run/"
    alice = urn(emulator, "alice")
    gmeta = [
        entry(subject, {"note": f"{marker} first"}, [alice]),
        entry(subject, {"note": f"{marker} extra"}, [alice], entry_id="metrics"),
    ]
    automation.ingest(index_id, {"ingest_type": "GMetaList", "ingest_data": {"gmeta": gmeta}})
    alice_client = user_search("alice")
    assert [e["entry_id"] for e in alice_client.get_subject(index_id, subject)["entries"]] == [None, "metrics"]
    assert alice_client.get_entry(index_id, subject, entry_id="metrics")["entries"][0]["content"]["note"].endswith(
        "extra"
    )

    # Same subject and entry id again: the entry is replaced, not duplicated.
    automation.ingest(
        index_id, {"ingest_type": "GMetaEntry", "ingest_data": entry(subject, {"note": f"{marker} second"}, [alice])}
    )
    entries = alice_client.get_subject(index_id, subject)["entries"]
    assert len(entries) == 2 and entries[0]["content"]["note"].endswith("second")
    assert alice_client.search(index_id, f"{marker} first")["total"] == 0

    task = automation.delete_entry(index_id, subject, entry_id="metrics")
    assert automation.get_task(task["task_id"])["state"] == "SUCCESS"
    assert [e["entry_id"] for e in alice_client.get_subject(index_id, subject)["entries"]] == [None]
    automation.delete_subject(index_id, subject)


def test_more_occurrences_rank_higher_and_boosts_reweigh_fields(emulator, automation, user_search, index_id, marker):
    carol = urn(emulator, "carol")
    described, repeated = (f"https://example.org/{marker}/{name}" for name in ("described", "repeated"))
    automation.ingest(
        index_id,
        {
            "ingest_type": "GMetaList",
            "ingest_data": {
                "gmeta": [
                    entry(described, {"title": marker, "description": f"about {marker}"}, [carol]),
                    entry(repeated, {"title": f"{marker} {marker} {marker}"}, [carol]),
                ]
            },
        },
    )
    plain = user_search("carol").search(index_id, marker)
    assert [item["subject"] for item in plain["gmeta"]] == [repeated, described]
    boosted = user_search("carol").post_search(
        index_id, {"q": marker, "boosts": [{"field_name": "description", "factor": 10}]}
    )
    assert [item["subject"] for item in boosted["gmeta"]] == [described, repeated]
    automation.batch_delete_by_subject(index_id, [described, repeated])
    assert user_search("carol").search(index_id, marker)["total"] == 0


def test_phrases_match_at_the_start_and_end_of_a_value(emulator, automation, user_search, index_id, marker):
    subject = f"https://example.org/{marker}/phrase"
    automation.ingest(
        index_id,
        {
            "ingest_type": "GMetaEntry",
            "ingest_data": entry(
                subject,
                {"title": f"{marker} opening words", "note": f"closing with {marker}-tail"},
                [urn(emulator, "carol")],
            ),
        },
    )
    carol = user_search("carol")
    for phrase in (f"{marker} opening", f"with {marker} tail", f"{marker}-tail"):
        assert carol.search(index_id, f'"{phrase}"')["total"] == 1, phrase
    assert carol.search(index_id, f'"opening {marker}"')["total"] == 0
    automation.delete_subject(index_id, subject)


def test_delete_by_query_removes_only_matches(emulator, automation, user_search, index_id, marker):
    carol = urn(emulator, "carol")
    keep, drop = (f"https://example.org/{marker}/{name}" for name in ("keep", "drop"))
    automation.ingest(
        index_id,
        {
            "ingest_type": "GMetaList",
            "ingest_data": {
                "gmeta": [
                    entry(keep, {"title": marker, "stage": "final"}, [carol]),
                    entry(drop, {"title": marker, "stage": "draft"}, [carol]),
                ]
            },
        },
    )
    task = automation.delete_by_query(
        index_id, {"q": marker, "filters": [{"type": "match_any", "field_name": "stage", "values": ["draft"]}]}
    )
    assert automation.get_task(task["task_id"])["state"] == "SUCCESS"
    assert [item["subject"] for item in user_search("carol").search(index_id, marker)["gmeta"]] == [keep]
    automation.delete_subject(index_id, keep)


def test_public_ingest_is_visible_anonymously(emulator, automation, index_id, marker):
    subject = f"https://example.org/{marker}"
    automation.ingest(
        index_id, {"ingest_type": "GMetaEntry", "ingest_data": entry(subject, {"title": marker}, ["public"])}
    )
    anonymous = globus_sdk.SearchClient(base_url=emulator.services["search"])
    try:
        assert [item["subject"] for item in anonymous.search(index_id, marker)["gmeta"]] == [subject]
    finally:
        automation.delete_subject(index_id, subject)
    assert anonymous.search(index_id, marker)["total"] == 0


def test_readers_cannot_write_and_anonymous_callers_must_log_in(emulator, user_search, index_id, marker):
    doc = {
        "ingest_type": "GMetaEntry",
        "ingest_data": entry(f"https://example.org/{marker}", {"t": marker}, ["public"]),
    }
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        user_search("dave").ingest(index_id, doc)
    assert caught.value.http_status == 403 and caught.value.code == "Forbidden.Generic"
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        globus_sdk.SearchClient(base_url=emulator.services["search"]).ingest(index_id, doc)
    assert caught.value.http_status == 401
    assert user_search("carol").search(index_id, marker)["total"] == 0


@pytest.mark.parametrize(
    ("ingest_data", "ingest_type", "path_fragment"),
    [
        ({"subject": "s", "content": {"a": 1}}, "GMetaEntry", "visible_to"),
        ({"subject": "s", "visible_to": ["everyone"], "content": {}}, "GMetaEntry", "visible_to[0]"),
        ({"subject": "", "visible_to": ["public"], "content": {}}, "GMetaEntry", "subject"),
        ({"subject": "s", "visible_to": ["public"], "content": ["not", "an", "object"]}, "GMetaEntry", "content"),
        ({"subject": "s", "visible_to": ["public"], "content": {}, "entry_id": "x"}, "GMetaEntry", "ingest_data"),
        ({"gmeta": []}, "GMetaList", "gmeta"),
        ({"subject": "s", "visible_to": ["public"], "content": {}}, "GMetaThing", "ingest_type"),
    ],
)
def test_bad_ingest_documents_are_400_and_write_nothing(automation, index_id, ingest_data, ingest_type, path_fragment):
    before = automation.get_index(index_id)["num_entries"]
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        automation.ingest(index_id, {"ingest_type": ingest_type, "ingest_data": ingest_data})
    assert caught.value.http_status == 400
    assert caught.value.code == "BadRequest.ValidationError"
    assert path_fragment in caught.value.raw_json["error_data"]["path"]
    assert automation.get_index(index_id)["num_entries"] == before


def test_one_bad_entry_rejects_the_whole_list(emulator, automation, user_search, index_id, marker):
    good = entry(f"https://example.org/{marker}", {"title": marker}, [urn(emulator, "carol")])
    bad = {"subject": "x", "visible_to": [], "content": {}}
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        automation.ingest(index_id, {"ingest_type": "GMetaList", "ingest_data": {"gmeta": [good, bad]}})
    assert caught.value.raw_json["error_data"]["path"] == "ingest_data.gmeta[1].visible_to"
    assert user_search("carol").search(index_id, marker)["total"] == 0


def test_tasks_of_an_index_are_listed_for_writers(automation, index_id, emulator, marker):
    subject = f"https://example.org/{marker}"
    task_id = automation.ingest(
        index_id,
        {"ingest_type": "GMetaEntry", "ingest_data": entry(subject, {"title": marker}, [urn(emulator, "carol")])},
    )["task_id"]
    listed = automation.get_task_list(index_id)["tasks"]
    assert task_id in {t["task_id"] for t in listed}
    automation.delete_subject(index_id, subject)
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        automation.get_task(str(uuid.uuid4()))
    assert caught.value.http_status == 404


def test_own_index_lifecycle_and_roles(emulator, user_search, marker):
    dave = user_search("dave")
    created = dave.create_index(f"Dave's {marker}", "scratch index for a test")
    new_index = created["id"]
    assert created["is_trial"] is True and created["num_entries"] == 0
    assert "owner" in {doc["id"]: doc for doc in dave.index_list()}[new_index]["permissions"]
    bob = urn(emulator, "bob")
    role = dave.create_role(new_index, {"role_name": "writer", "principal": bob})
    assert role["principal"] == bob and role["principal_type"] == "identity"
    user_search("bob").ingest(
        new_index,
        {"ingest_type": "GMetaEntry", "ingest_data": entry("https://example.org/x", {"title": marker}, ["public"])},
    )
    assert dave.search(new_index, marker)["total"] == 1
    updated = dave.update_index(new_index, display_name=f"Renamed {marker}")
    assert updated["display_name"] == f"Renamed {marker}"
    dave.delete_role(new_index, role["id"])
    with pytest.raises(globus_sdk.SearchAPIError):
        user_search("bob").ingest(
            new_index,
            {"ingest_type": "GMetaEntry", "ingest_data": entry("https://example.org/y", {"title": marker}, ["public"])},
        )
    assert dave.delete_index(new_index)["acknowledged"] is True
    assert dave.reopen_index(new_index)["acknowledged"] is True
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        dave.reopen_index(new_index)
    assert caught.value.http_status == 409 and caught.value.code == "Conflict.IncompatibleIndexStatus"
