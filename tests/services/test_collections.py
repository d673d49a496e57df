"""services/collections.py: the search page's answer decided before Transfer is asked, then, against the emulator,
search scopes, details, consent status and bookmarks."""

from __future__ import annotations

import uuid

import pytest

from app.services import collections
from app.services.errors import InvalidRequest, RemoteNotFound
from tests.emulator.transfer_clients import collection_id, data_access_scope
from tests.users import placeholder_tokens, portal_user


def test_searching_all_with_no_words_asks_for_them_calmly():
    found = collections.find_collections(1, "  ", None, "not a number")
    assert found == collections.CollectionSearch("", "recently-used", error="That page number is not valid.")
    found = collections.find_collections(1, "", "all", "not a number")
    assert (found.scope, found.hint, found.error, found.results) == ("all", collections.SEARCH_ALL_HINT, None, None)


def test_words_without_a_scope_search_all():
    found = collections.find_collections(1, " cryo ", None, "-1")
    assert (found.text, found.scope, found.results) == ("cryo", "all", None)
    assert "first 1,000 matches" in found.error


def test_an_unknown_scope_is_a_refusal_shown_on_the_page():
    found = collections.find_collections(1, "cryo", "everywhere", "0")
    assert found.error.startswith("Choose where to search") and found.hint is None


CAMPUS = collection_id("campus-cluster")
CRYOEM_SHARED = collection_id("cryoem-shared")


def test_search_by_text_and_scope(live_portal, alice_id):
    with live_portal.context():
        found = collections.search(alice_id, "cryo", "all")
        mine = collections.search(alice_id, "", "my-endpoints")
    assert "Cryo-EM Shared Data" in {c.display_name for c in found.results}
    assert {"Alice Project Share", "Alice's Laptop"} <= {c.display_name for c in mine.results}
    assert found.offset == 0 and found.previous_offset is None


@pytest.mark.parametrize(("text", "scope"), [("", "all"), ("x", "everything"), ("x" * 201, "all")])
def test_search_refuses_what_transfer_cannot_answer(live_portal, alice_id, text, scope):
    with live_portal.context(), pytest.raises(InvalidRequest):
        collections.search(alice_id, text, scope)


def test_collection_details_and_consent_status(live_portal, alice_id):
    with live_portal.context():
        campus = collections.get_collection(alice_id, CAMPUS, fresh=True)
        shared = collections.get_collection(alice_id, CRYOEM_SHARED)
        assert campus.uses_data_access_consent and campus.type_label.startswith("Mapped")
        assert collections.data_access_consent(alice_id, shared) is None
        # Whether alice consented depends on which tests ran before; two users of known history decide.
        never_asked = portal_user(live_portal.app, "never-asked-for-consent@example.org", tokens={})
        assert collections.data_access_consent(never_asked, campus) == "needed"
        tokens = placeholder_tokens("consented@example.org")
        tokens["transfer.api.globus.org"]["requested_scopes"] = data_access_scope(CAMPUS)
        consented = portal_user(live_portal.app, "consented@example.org", tokens=tokens)
        assert collections.data_access_consent(consented, campus) == "granted"
        assert shared.https_server and shared.host_collection_id
        with pytest.raises(RemoteNotFound):
            collections.get_collection(alice_id, str(uuid.uuid4()), fresh=True)
        with pytest.raises(InvalidRequest):
            collections.get_collection(alice_id, "../../etc")


def test_bookmarks_create_rename_list_delete(live_portal, alice_id):
    name = f"<i>Run 01</i> “{uuid.uuid4().hex[:6]}”"
    with live_portal.context():
        mark = collections.create_bookmark(alice_id, CRYOEM_SHARED, "/~/run 01/", name)
        assert mark.path == "/~/run 01/" and mark.name == name
        collections.rename_bookmark(alice_id, mark.id, name + " (renamed)")
        names = {m.name for m in collections.list_bookmarks(alice_id)}
        assert name + " (renamed)" in names
        with pytest.raises(InvalidRequest):
            collections.create_bookmark(alice_id, CRYOEM_SHARED, "/~/../x/", "bad")
        with pytest.raises(InvalidRequest):
            collections.rename_bookmark(alice_id, mark.id, "   ")
        collections.delete_bookmark(alice_id, mark.id)
        assert mark.id not in {m.id for m in collections.list_bookmarks(alice_id)}
