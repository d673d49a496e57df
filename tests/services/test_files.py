"""services/files.py: the file manager's small decisions (the options panel, a refused delete, its token), then,
against the emulator through the real SDK, one upstream page at a time."""

from __future__ import annotations

import uuid

import pytest

from app.services import files, submissions
from app.services.errors import InvalidRequest, RemotePermissionDenied
from tests.emulator.transfer_clients import collection_id


def test_the_options_panel_opens_only_for_a_listing_not_shown_the_default_way():
    assert not files.ListingOptions().customised
    assert not files.ListingOptions(offset=200).customised  # paging is not an option
    for changed in (
        {"sort": "size"},
        {"descending": True},
        {"name_filter": "tif"},
        {"show_hidden": True},
        {"limit": 250},
    ):
        assert files.ListingOptions(**changed).customised, changed


def test_a_refused_delete_shows_the_selection_as_picked():
    plan = files.DeletionPlan.as_selected("c0ffee", "/~/data", ["a.txt"], ["run 01"])
    assert plan.folder == "/~/data/" and plan.folder_count == 1
    assert [(item.name, item.is_dir, item.previewed) for item in plan.items] == [
        ("a.txt", False, False),
        ("run 01", True, False),
    ]


def test_a_refused_form_keeps_its_token_unless_the_token_was_refused():
    assert submissions.token_after(InvalidRequest("bad name", field="name"), "kept-token") == "kept-token"
    assert submissions.token_after(None, None) == ""
    fresh = submissions.token_after(InvalidRequest("expired", field="form_token"), "old-token")
    assert fresh != "old-token" and submissions.FORM_TOKEN_PATTERN.match(fresh)


def test_a_delete_without_a_selection_is_refused_before_anything_is_submitted():
    with pytest.raises(InvalidRequest, match="Select at least one"):
        files.submit_deletion(1, "t" * 20, "c0ffee", "/~/", [], [], "label")


LAB_ARCHIVE = collection_id("lab-archive")
CRYOEM_SHARED = collection_id("cryoem-shared")
PUBLIC = collection_id("public-reference")


@pytest.fixture(scope="module")
def big_folder(live_portal):
    response = live_portal.emulator.control_post("big-folder", {"entries": 100_000})
    assert response.status_code == 200, response.text
    return response.json()["path"]


def test_paging_through_the_100000_entry_folder(live_portal, alice_id, big_folder):
    with live_portal.context():
        first = files.list_folder(alice_id, LAB_ARCHIVE, big_folder, files.ListingOptions(limit=100))
        second = files.list_folder(alice_id, LAB_ARCHIVE, big_folder, files.ListingOptions(limit=100, offset=100))
        last = files.list_folder(alice_id, LAB_ARCHIVE, big_folder, files.ListingOptions(limit=100, offset=99_950))
        reverse = files.list_folder(alice_id, LAB_ARCHIVE, big_folder, files.ListingOptions(limit=50, descending=True))
    assert first.total == 100_000 and len(first.entries) == 100 and first.has_next_page
    assert first.next_offset == 100 and first.last_offset == 99_900 and first.previous_offset is None
    assert not {e.name for e in first.entries} & {e.name for e in second.entries}
    assert [e.name for e in first.entries] == sorted(e.name for e in first.entries)
    assert len(last.entries) == 50 and not last.has_next_page and last.next_offset is None
    assert reverse.entries[0].name == last.entries[-1].name, "descending order starts where ascending ends"


def test_filter_and_hidden_are_applied_upstream(live_portal, alice_id):
    with live_portal.context():
        tifs = files.list_folder(
            alice_id, CRYOEM_SHARED, "/~/run 01/", files.ListingOptions(name_filter="*.tif", limit=250)
        )
        plain = files.list_folder(alice_id, CRYOEM_SHARED, "/~/", files.ListingOptions())
        hidden = files.list_folder(alice_id, CRYOEM_SHARED, "/~/", files.ListingOptions(show_hidden=True))
    assert tifs.entries and all(e.name.endswith(".tif") for e in tifs.entries)
    assert ".checksums.md5" not in {e.name for e in plain.entries}
    assert ".checksums.md5" in {e.name for e in hidden.entries}
    assert [e.is_dir for e in plain.entries] == sorted((e.is_dir for e in plain.entries), reverse=True), "folders first"


def test_make_and_rename_with_hostile_names(live_portal, alice_id):
    name = f"<b>\"x\" 'y' ünï {uuid.uuid4().hex[:6]}"
    with live_portal.context():
        created = files.make_folder(alice_id, LAB_ARCHIVE, "/~/", name)
        assert created == f"/~/{name}/"
        renamed = files.rename_entry(alice_id, LAB_ARCHIVE, "/~/", name, name + " & co")
        listing = files.list_folder(alice_id, LAB_ARCHIVE, "/~/", files.ListingOptions(name_filter=name, limit=50))
    assert renamed == f"/~/{name} & co"
    assert [e.name for e in listing.entries] == [name + " & co"]


@pytest.mark.parametrize(("parent", "name"), [("/~/../..", "x"), ("/~/", "../x"), ("/~/", "a/b"), ("~/..", "x")])
def test_traversal_is_refused_before_any_upstream_call(live_portal, alice_id, parent, name):
    with live_portal.context(), pytest.raises(InvalidRequest):
        files.make_folder(alice_id, LAB_ARCHIVE, parent, name)


def test_read_only_collection_refuses_writes(live_portal, alice_id):
    with live_portal.context(), pytest.raises(RemotePermissionDenied):
        files.make_folder(alice_id, PUBLIC, "/", f"nope-{uuid.uuid4().hex[:6]}")


def test_delete_plan_lists_what_goes_with_a_look_inside(live_portal, alice_id):
    with live_portal.context():
        plan = files.plan_deletion(alice_id, CRYOEM_SHARED, "/~/", ["README.txt"], ["run 01"])
    by_name = {item.name: item for item in plan.items}
    assert not by_name["README.txt"].is_dir
    folder = by_name["run 01"]
    assert folder.is_dir and folder.previewed and folder.contents_total == 26
    assert len(folder.contents_sample) == files.PREVIEW_NAMES


def test_listing_options_refuse_bad_input():
    for args in (
        {"sort": "colour"},
        {"order": "sideways"},
        {"offset": "-1"},
        {"per_page": "7"},
        {"offset": "many"},
        {"filter": "a/b"},
    ):
        with pytest.raises(InvalidRequest):
            files.parse_listing_options(args)
    options = files.parse_listing_options({"sort": "modified", "order": "desc", "hidden": "1", "per_page": "1000"})
    assert options == files.ListingOptions(sort="modified", descending=True, show_hidden=True, limit=1000)
