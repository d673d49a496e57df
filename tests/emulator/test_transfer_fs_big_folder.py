"""The 100,000-entry folder: created once through the control API, listed page by page."""

from __future__ import annotations

import os
from pathlib import Path

import globus_sdk
import pytest

from tests.emulator.transfer_clients import transfer_as

ENTRIES = 100_000


@pytest.fixture(scope="module")
def big_folder(emulator) -> dict:
    response = emulator.control_post("big-folder", {"entries": ENTRIES})
    assert response.status_code == 200, response.text
    return response.json()


def test_big_folder_is_created_once_and_published(emulator, big_folder):
    assert big_folder["created"] is True
    assert big_folder["path"] == "/big-folder/"
    assert big_folder["entries"] == ENTRIES
    archive_root = Path(emulator.collection("lab-archive")["data_root"])
    folder = archive_root / "big-folder"
    inode = os.stat(folder).st_ino
    again = emulator.control_post("big-folder", {"entries": ENTRIES})
    assert again.status_code == 200 and again.json() == big_folder
    assert os.stat(folder).st_ino == inode  # not rebuilt
    assert emulator.reload_manifest()["big_folder"] == big_folder


@pytest.mark.parametrize("bad", [0, -5, "many", True, 10_000_001])
def test_big_folder_rejects_bad_sizes(emulator, bad):
    assert emulator.control_post("big-folder", {"entries": bad}).status_code == 400


def test_big_folder_pages(emulator, big_folder):
    carol = transfer_as(emulator, "carol")
    collection, path = big_folder["collection_id"], big_folder["path"]
    first = carol.operation_ls(collection, path=path, limit=1000)
    assert first["total"] == ENTRIES and first["length"] == 1000 and first["has_next_page"] is True
    assert first["DATA"][0]["name"] == "entry_0000000.dat"
    middle = carol.operation_ls(collection, path=path, limit=1000, offset=50_000)
    assert middle["DATA"][0]["name"] == "entry_0050000.dat"
    last = carol.operation_ls(collection, path=path, limit=1000, offset=ENTRIES - 10)
    assert last["length"] == 10 and last["has_next_page"] is False
    assert last["DATA"][-1]["name"] == "entry_0099999.dat"
    newest_first = carol.operation_ls(collection, path=path, limit=5, orderby="name DESC")
    assert [entry["name"] for entry in newest_first["DATA"]][0] == "entry_0099999.dat"
    some = carol.operation_ls(collection, path=path, filter="name:~entry_00012*")
    assert some["total"] == 100


def test_walking_every_page_sees_each_entry_once(emulator, big_folder):
    carol = transfer_as(emulator, "carol")
    seen: set[str] = set()
    offset, page_size = 0, 25_000
    while True:
        page = carol.operation_ls(big_folder["collection_id"], path=big_folder["path"], limit=page_size, offset=offset)
        names = {entry["name"] for entry in page["DATA"]}
        assert not names & seen
        seen |= names
        offset += page["length"]
        if not page["has_next_page"]:
            break
    assert len(seen) == ENTRIES


def test_big_folder_is_listed_only_for_mapped_users(emulator, big_folder):
    with pytest.raises(globus_sdk.TransferAPIError) as caught:
        transfer_as(emulator, "dave").operation_ls(big_folder["collection_id"], path=big_folder["path"], limit=10)
    assert caught.value.http_status == 403
