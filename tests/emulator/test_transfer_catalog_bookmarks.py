"""Per-user bookmarks through the SDK: CRUD, privacy between users and bad input."""

from __future__ import annotations

import uuid

import globus_sdk
import pytest

from tests.emulator.transfer_clients import api_error, collection_id, transfer_as

SHARED = collection_id("cryoem-shared")


@pytest.fixture
def bookmarks(emulator):
    """Create bookmarks as a user; all are deleted after the test."""
    made: list[tuple[globus_sdk.TransferClient, str]] = []

    def create(user: str, name: str, path: str = "/run 01/", **extra) -> dict:
        tc = transfer_as(emulator, user)
        document = tc.create_bookmark({"name": name, "endpoint_id": SHARED, "path": path, **extra})
        made.append((tc, document["id"]))
        return document.data

    yield create
    for tc, bookmark_id in made:
        try:
            tc.delete_bookmark(bookmark_id)
        except globus_sdk.TransferAPIError as err:
            assert err.http_status == 404


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def test_bookmark_lifecycle(emulator, bookmarks):
    alice = transfer_as(emulator, "alice")
    name = unique("Cryo runs")
    created = bookmarks("alice", name)
    assert created["DATA_TYPE"] == "bookmark"
    assert (created["name"], created["endpoint_id"], created["path"]) == (name, SHARED, "/run 01/")
    assert alice.get_bookmark(created["id"]).data == created
    listing = alice.bookmark_list()
    assert listing["DATA_TYPE"] == "bookmark_list"
    assert created in listing["DATA"]
    renamed = alice.update_bookmark(created["id"], {"name": name + " (renamed)"})
    assert renamed["name"] == name + " (renamed)" and renamed["path"] == "/run 01/"
    deleted = alice.delete_bookmark(created["id"])
    assert deleted["DATA_TYPE"] == "result" and deleted["code"] == "Deleted"
    assert "deleted successfully" in deleted["message"]
    error = api_error(alice.get_bookmark, created["id"])
    assert error.http_status == 404 and error.code == "BookmarkNotFound"


def test_bookmarks_are_private_to_their_owner(emulator, bookmarks):
    created = bookmarks("alice", unique("private"))
    bob = transfer_as(emulator, "bob")
    assert created["id"] not in [b["id"] for b in bob.bookmark_list()["DATA"]]
    for call in (bob.get_bookmark, bob.delete_bookmark):
        assert api_error(call, created["id"]).http_status == 404
    assert api_error(bob.update_bookmark, created["id"], {"name": "stolen"}).http_status == 404
    assert transfer_as(emulator, "alice").get_bookmark(created["id"])["name"] == created["name"]


def test_names_are_unique_per_user(emulator, bookmarks):
    name = unique("same name")
    first = bookmarks("alice", name)
    error = api_error(
        transfer_as(emulator, "alice").create_bookmark, {"name": name, "endpoint_id": SHARED, "path": "/run 02/"}
    )
    assert error.http_status == 409 and error.code == "Exists"
    assert bookmarks("bob", name)["name"] == name  # another user may use the same name
    other = bookmarks("alice", unique("other"))
    error = api_error(transfer_as(emulator, "alice").update_bookmark, other["id"], {"name": name})
    assert error.http_status == 409
    assert transfer_as(emulator, "alice").get_bookmark(first["id"])["name"] == name


def test_pinned_bookmarks_list_first(emulator, bookmarks):
    plain = bookmarks("carol", unique("a plain"))
    pinned = bookmarks("carol", unique("z pinned"), pinned=True)
    order = [b["id"] for b in transfer_as(emulator, "carol").bookmark_list()["DATA"]]
    assert order.index(pinned["id"]) < order.index(plain["id"])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "x", "endpoint_id": "00000000-0000-0000-0000-000000000000", "path": "/"}, 404),
        ({"name": "x", "endpoint_id": "not-an-id", "path": "/"}, 404),
        ({"name": "x", "endpoint_id": SHARED, "path": "/run 01"}, 400),
        ({"name": "x", "endpoint_id": SHARED, "path": "run 01/"}, 400),
        ({"name": "x", "endpoint_id": SHARED, "path": "/../"}, 403),
        ({"name": "", "endpoint_id": SHARED, "path": "/"}, 400),
        ({"name": "   ", "endpoint_id": SHARED, "path": "/"}, 400),
        ({"name": "n" * 129, "endpoint_id": SHARED, "path": "/"}, 400),
        ({"name": "bell\x07", "endpoint_id": SHARED, "path": "/"}, 400),
        ({"name": "x", "endpoint_id": SHARED}, 400),
        ({"name": "x", "endpoint_id": SHARED, "path": "/", "colour": "red"}, 400),
        ({"name": "x", "endpoint_id": SHARED, "path": "/", "pinned": "yes"}, 400),
        ({"name": 7, "endpoint_id": SHARED, "path": "/"}, 400),
    ],
)
def test_invalid_bookmarks_are_refused(emulator, body, status):
    alice = transfer_as(emulator, "alice")
    before = len(alice.bookmark_list()["DATA"])
    assert api_error(alice.create_bookmark, body).http_status == status
    assert len(alice.bookmark_list()["DATA"]) == before


def test_bookmark_location_cannot_change(emulator, bookmarks):
    created = bookmarks("alice", unique("fixed"))
    alice = transfer_as(emulator, "alice")
    for change in ({"path": "/run 02/"}, {"endpoint_id": collection_id("public-reference")}, {}, "nonsense"):
        assert api_error(alice.update_bookmark, created["id"], change).http_status == 400
    assert alice.get_bookmark(created["id"]).data == created
