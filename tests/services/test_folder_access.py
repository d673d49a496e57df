"""services/access.py against the emulator through the real SDK: what Transfer says a user may change."""

from __future__ import annotations

import pytest

from app.services import access, collections, file_forms, files
from app.services.errors import RemotePermissionDenied
from tests.emulator.transfer_clients import collection_id

ALICE_SHARE = collection_id("alice-project")
CRYOEM_SHARED = collection_id("cryoem-shared")
PUBLIC = collection_id("public-reference")


@pytest.fixture(scope="module")
def ids(live_portal):
    """Portal user ids of alice (owner of the share) and bob (read access to it), after real logins."""
    for user in ("alice", "bob"):
        live_portal.logged_in(user)
    return {user: live_portal.user_id(user) for user in ("alice", "bob")}


def test_bob_may_read_alices_share_but_not_change_it(live_portal, ids):
    with live_portal.context():
        share = collections.get_collection(ids["bob"], ALICE_SHARE)
        found = access.folder_access(ids["bob"], share, "/")
        inside = access.folder_access(ids["bob"], share, "/analysis/")
    assert found.read_only and found.reason == access.READ_ONLY_REASON
    assert inside.read_only, "the ACL gives bob read access to the whole share"


def test_the_owner_may_write_by_role_without_a_probe(live_portal, ids, monkeypatch):
    with live_portal.context():
        share = collections.get_collection(ids["alice"], ALICE_SHARE)
        assert "administrator" in share.my_roles
        monkeypatch.setattr(access, "_probe", lambda *args: pytest.fail("an administrator needs no probe"))
        assert access.folder_access(ids["alice"], share, "/").can_write is True


def test_a_group_member_may_write_where_the_acl_says_rw(live_portal, ids):
    with live_portal.context():
        shared = collections.get_collection(ids["bob"], CRYOEM_SHARED)
        assert access.folder_access(ids["bob"], shared, "/~/").can_write is True
        public = collections.get_collection(ids["bob"], PUBLIC)
        assert access.folder_access(ids["bob"], public, "/").read_only


def test_answers_are_cached_and_the_probe_changes_nothing(live_portal, ids, monkeypatch):
    with live_portal.context():
        share = collections.get_collection(ids["bob"], ALICE_SHARE)
        before = files.list_folder(ids["alice"], ALICE_SHARE, "/", files.ListingOptions(show_hidden=True)).entries
        access.forget(ids["bob"])
        calls = []
        real_probe = access._probe
        monkeypatch.setattr(access, "_probe", lambda *args: calls.append(args) or real_probe(*args))
        for _ in range(3):
            assert access.folder_access(ids["bob"], share, "/drafts/").read_only
        after = files.list_folder(ids["alice"], ALICE_SHARE, "/", files.ListingOptions(show_hidden=True)).entries
    assert len(calls) == 1, "one probe, then the cached answer"
    assert [e.name for e in before] == [e.name for e in after]


def test_a_refused_write_is_said_in_plain_words(live_portal, ids):
    with live_portal.context():
        with pytest.raises(RemotePermissionDenied) as refused:
            files.make_folder(ids["bob"], ALICE_SHARE, "/", "not-allowed")
        with pytest.raises(RemotePermissionDenied) as delete_refused:
            file_forms.review_deletion(ids["bob"], ALICE_SHARE, "/", ["README.txt"], [])
    assert refused.value.message.startswith(access.READ_ONLY_REASON)
    assert "Denied by endpoint" not in refused.value.message and ALICE_SHARE not in refused.value.message
    assert "needs write access" in delete_refused.value.message
