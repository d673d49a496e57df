"""Who sees what in Search: visible_to against each seeded user's identities and groups."""

from __future__ import annotations

import globus_sdk
import pytest

from tests.emulator.helpers import login_user_tokens

SEARCH_SCOPE = "urn:globus:auth:scope:search.api.globus.org:all"


@pytest.fixture(scope="module")
def index_id(emulator) -> str:
    return emulator.manifest["search_index"]["id"]


@pytest.fixture(scope="module")
def search_as(emulator):
    """Build a SearchClient for a seeded user (None: anonymous), logging in once per user."""
    clients: dict[str | None, globus_sdk.SearchClient] = {}

    def build(username: str | None) -> globus_sdk.SearchClient:
        if username not in clients:
            authorizer = None
            if username is not None:
                tokens = login_user_tokens(emulator, username, SEARCH_SCOPE)
                authorizer = globus_sdk.AccessTokenAuthorizer(tokens["search.api.globus.org"]["access_token"])
            clients[username] = globus_sdk.SearchClient(base_url=emulator.services["search"], authorizer=authorizer)
        return clients[username]

    return build


@pytest.fixture(scope="module")
def visible(search_as, index_id):
    """subject set each user can find with q=* (cached per user)."""
    seen: dict[str | None, set[str]] = {}

    def for_user(username: str | None) -> set[str]:
        if username not in seen:
            client = search_as(username)
            seen[username] = {item["subject"] for item in client.paginated.post_search(index_id, {"q": "*"}).items()}
        return seen[username]

    return for_user


def test_group_records_are_hidden_from_outsiders(visible):
    public = visible(None)
    group_and_public = visible("bob")
    assert public < group_and_public, "bob (Cryo-EM Lab member) sees the lab's records as well"
    assert visible("dave") == public, "dave is in no group: he sees only public records"


def test_alice_also_sees_her_own_records(visible):
    extra_for_bob = visible("bob") - visible(None)
    extra_for_alice = visible("alice") - visible(None)
    assert extra_for_bob < extra_for_alice, "alice sees the lab's records and the ones visible only to her"


def test_get_subject_and_entry_follow_visible_to(search_as, visible, index_id):
    lab_only = sorted(visible("bob") - visible(None))[0]
    assert search_as("bob").get_subject(index_id, lab_only)["subject"] == lab_only
    assert search_as("bob").get_entry(index_id, lab_only)["entries"][0]["entry_id"] is None
    for outsider in ("dave", None):
        with pytest.raises(globus_sdk.SearchAPIError) as caught:
            search_as(outsider).get_subject(index_id, lab_only)
        assert caught.value.http_status == 404
        with pytest.raises(globus_sdk.SearchAPIError) as caught:
            search_as(outsider).get_entry(index_id, lab_only)
        assert caught.value.http_status == 404


def test_lab_records_describe_the_lab_share(search_as, visible, index_id, emulator):
    lab_share = emulator.collection("cryoem-shared")["id"]
    lab_only = visible("bob") - visible(None)
    collections = {
        search_as("bob").get_subject(index_id, s)["entries"][0]["content"]["collection_id"] for s in lab_only
    }
    assert lab_share in collections


def test_bypass_visible_to_is_for_index_admins_only(search_as, visible, index_id):
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        search_as("dave").post_search(index_id, {"q": "*", "bypass_visible_to": True})
    assert caught.value.http_status == 403
    assert caught.value.code == "Forbidden.Generic"
    everything = search_as("carol").post_search(index_id, {"q": "*", "limit": 0, "bypass_visible_to": True})
    assert everything["total"] >= len(visible("alice") | visible("bob"))


def test_facet_counts_only_count_visible_records(search_as, visible, index_id):
    query = {"q": "*", "limit": 0, "facets": [{"field_name": "collection_name", "size": 50}]}
    for user in (None, "bob", "alice"):
        buckets = search_as(user).post_search(index_id, query)["facet_results"][0]["buckets"]
        assert sum(b["count"] for b in buckets) == len(visible(user))


def test_index_list_shows_roles_to_role_holders_only(search_as, index_id):
    carol_indices = {doc["id"]: doc for doc in search_as("carol").index_list()}
    assert "admin" in carol_indices[index_id]["permissions"]
    assert index_id not in {doc["id"] for doc in search_as("dave").index_list()}


def test_reading_tasks_and_roles_needs_a_role(search_as, index_id):
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        search_as("dave").get_role_list(index_id)
    assert caught.value.http_status == 403
    roles = search_as("carol").get_role_list(index_id)["role_list"]
    assert {r["role_name"] for r in roles} >= {"admin", "writer"}
