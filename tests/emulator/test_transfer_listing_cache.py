"""The ls listing cache: cached pages stay exact after every kind of change, and memory stays bounded.

Over HTTP the real TransferClient lists folders the emulator has cached (their ctime is settled),
then changes them through mkdir, rename, a transfer and a delete task, each seen on the very next ls,
including several changes within one second. In-process tests cover the cache's own rules.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import globus_sdk
import pytest
from flask import Flask

from emulator.transfer.storage import listing, listing_cache
from emulator.transfer.storage.listing import list_directory
from emulator.transfer.storage.listing_cache import (
    LISTING_CACHE,
    ListingCache,
    directory_stamp,
    is_settled,
)
from emulator.transfer.storage.listing_query import parse_listing_filters, parse_listing_orderby
from tests.emulator.transfer_clients import collection_id
from tests.waiting import wait_until

LAPTOP = collection_id("alice-laptop")
PUBLIC = collection_id("public-reference")
BROWSE_ORDER = ["type ASC", "name ASC"]
SETTLE_SECONDS = listing_cache.SETTLE_NS / 1e9
SETTLED_FOLDERS = 4  # one per test below that asks for `settled_folder`


def names(listing) -> list[str]:
    return [entry["name"] for entry in listing["DATA"]]


def browse(tc: globus_sdk.TransferClient, path: str, **kwargs) -> list[str]:
    return names(tc.operation_ls(LAPTOP, path=path, orderby=BROWSE_ORDER, **kwargs))


@pytest.fixture(scope="module")
def settled_folders(emulator) -> Iterator[list[Path]]:
    """Folders of 30 files on Alice's laptop, made together and waited on once until they settled.

    The emulator process reads the real clock, so a folder must really age SETTLE_NS before a
    listing of it is cached; making every test's folder up front pays that wait once per module.
    """
    root = Path(emulator.collection("alice-laptop")["data_root"])
    folders = [root / f"cache-test-{uuid.uuid4().hex[:8]}" for _ in range(SETTLED_FOLDERS)]
    for folder in folders:
        folder.mkdir()
        for index in range(30):
            (folder / f"file_{index:03d}.txt").write_text(f"{index}\n")
    wait_until(lambda: all(is_settled(os.stat(f), time.time_ns()) for f in folders), SETTLE_SECONDS * 5)
    yield folders
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def settled_folder(alice, settled_folders):
    """A settled folder of 30 files, listed once so the emulator caches it."""
    assert settled_folders, f"more tests than settled folders: raise SETTLED_FOLDERS ({SETTLED_FOLDERS})"
    on_disk = settled_folders.pop()
    path = f"/{on_disk.name}/"
    first = browse(alice, path, limit=10)
    assert first == [f"file_{index:03d}.txt" for index in range(10)]
    return path, on_disk


def wait_done(tc: globus_sdk.TransferClient, task_id: str) -> None:
    assert tc.task_wait(task_id, timeout=60, polling_interval=1), f"task {task_id} did not finish"
    assert tc.get_task(task_id)["status"] == "SUCCEEDED"


def test_repeated_pages_of_a_cached_folder_are_consistent_slices(alice, settled_folder):
    path, _ = settled_folder
    pages = [
        alice.operation_ls(LAPTOP, path=path, orderby=BROWSE_ORDER, limit=7, offset=offset)
        for offset in range(0, 35, 7)
    ]
    assert [entry for page in pages for entry in names(page)] == [f"file_{i:03d}.txt" for i in range(30)]
    assert {page["total"] for page in pages} == {30}
    assert [page["has_next_page"] for page in pages] == [True, True, True, True, False]
    descending = names(alice.operation_ls(LAPTOP, path=path, orderby="name DESC", limit=3))
    assert descending == ["file_029.txt", "file_028.txt", "file_027.txt"]
    filtered = alice.operation_ls(LAPTOP, path=path, orderby=BROWSE_ORDER, filter="name:~file_01*")
    assert names(filtered) == [f"file_{i:03d}.txt" for i in range(10, 20)] and filtered["total"] == 10


def test_mkdirs_and_renames_within_one_second_show_on_the_next_ls(alice, settled_folder):
    path, _ = settled_folder
    alice.operation_mkdir(LAPTOP, path + "a-new-dir")
    assert browse(alice, path, limit=2) == ["a-new-dir", "file_000.txt"]
    alice.operation_mkdir(LAPTOP, path + "b-new-dir")
    assert browse(alice, path, limit=3) == ["a-new-dir", "b-new-dir", "file_000.txt"]
    alice.operation_rename(LAPTOP, path + "file_000.txt", path + "zz-renamed.txt")
    listing = alice.operation_ls(LAPTOP, path=path, orderby=BROWSE_ORDER)
    assert names(listing)[:3] == ["a-new-dir", "b-new-dir", "file_001.txt"]
    assert names(listing)[-1] == "zz-renamed.txt" and listing["total"] == 32
    alice.operation_rename(LAPTOP, path + "a-new-dir", path + "c-new-dir")
    assert browse(alice, path, limit=2) == ["b-new-dir", "c-new-dir"]


def test_transfer_and_delete_tasks_show_on_the_next_ls(alice, settled_folder):
    path, on_disk = settled_folder
    data = globus_sdk.TransferData(PUBLIC, LAPTOP, label="listing cache")
    data.add_item("/README.txt", path + "arrived.txt")
    wait_done(alice, alice.submit_transfer(data)["task_id"])
    assert (on_disk / "arrived.txt").is_file()
    assert browse(alice, path, limit=1) == ["arrived.txt"]
    assert alice.operation_ls(LAPTOP, path=path, orderby=BROWSE_ORDER)["total"] == 31

    removal = globus_sdk.DeleteData(LAPTOP, label="listing cache delete")
    removal.add_item(path + "arrived.txt")
    removal.add_item(path + "file_000.txt")
    wait_done(alice, alice.submit_delete(removal)["task_id"])
    assert browse(alice, path, limit=2) == ["file_001.txt", "file_002.txt"]
    assert alice.operation_ls(LAPTOP, path=path, orderby=BROWSE_ORDER)["total"] == 29


def test_size_order_is_never_served_stale_after_an_in_place_write(alice, settled_folder):
    path, on_disk = settled_folder
    largest = names(alice.operation_ls(LAPTOP, path=path, orderby="size DESC,name ASC", limit=1))
    assert largest == ["file_010.txt"]
    # Growing a file in place leaves the directory untouched; size order must still see it.
    (on_disk / "file_005.txt").write_text("x" * 500)
    assert names(alice.operation_ls(LAPTOP, path=path, orderby="size DESC", limit=1)) == ["file_005.txt"]
    assert names(alice.operation_ls(LAPTOP, path=path, filter="size:>100")) == ["file_005.txt"]


# ---- in-process rules ---------------------------------------------------------------------------


@pytest.fixture
def settled_clock(monkeypatch):
    """The in-process listing's clock, run past the settling time: every folder counts as settled."""
    ahead = SimpleNamespace(time_ns=lambda: time.time_ns() + listing_cache.SETTLE_NS + 1_000_000_000)
    monkeypatch.setattr(listing, "time", ahead)


@pytest.fixture
def request_context():
    LISTING_CACHE.clear()
    with Flask(__name__).test_request_context():
        yield
    LISTING_CACHE.clear()


def page(directory: Path, orderby: str = "type ASC,name ASC", filters: tuple[str, ...] = (), root: Path | None = None):
    return list_directory(
        directory,
        root or directory,
        show_hidden=False,
        filters=parse_listing_filters(list(filters)),
        order_key=parse_listing_orderby(orderby),
        offset=0,
        limit=100,
    )


def test_a_recently_changed_folder_is_listed_but_not_cached(tmp_path, request_context):
    (tmp_path / "one.txt").write_text("1")
    assert [doc["name"] for doc in page(tmp_path).documents] == ["one.txt"]
    assert not is_settled(os.stat(tmp_path), time.time_ns())
    assert LISTING_CACHE.held_names() == 0


def test_a_settled_folder_is_cached_and_a_change_with_its_old_mtime_still_shows(
    tmp_path, request_context, settled_clock
):
    for name in ("b.txt", "c.txt"):
        (tmp_path / name).write_text(name)
    assert page(tmp_path).total == 2
    assert LISTING_CACHE.held_names() == 2
    before = os.stat(tmp_path)
    (tmp_path / "a.txt").write_text("a")
    # Putting the old mtime back (as preserve_timestamp does) must not revive the old listing.
    os.utime(tmp_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert directory_stamp(os.stat(tmp_path)) != directory_stamp(before)
    assert [doc["name"] for doc in page(tmp_path).documents] == ["a.txt", "b.txt", "c.txt"]


def test_only_name_and_type_queries_are_cached(tmp_path, request_context, settled_clock):
    (tmp_path / "f.txt").write_text("f")
    (tmp_path / "sub").mkdir()
    assert page(tmp_path, "size DESC").total == 2
    assert page(tmp_path, filters=("size:>0",)).total == 2
    assert LISTING_CACHE.held_names() == 0
    assert [doc["name"] for doc in page(tmp_path, filters=("type:dir",)).documents] == ["sub"]
    assert [doc["name"] for doc in page(tmp_path).documents] == ["sub", "f.txt"]
    assert LISTING_CACHE.held_names() == 3


def test_type_queries_over_a_folder_with_symlinks_are_not_cached(tmp_path, request_context, settled_clock):
    listed = tmp_path / "listed"
    listed.mkdir()
    (tmp_path / "target").mkdir()
    (listed / "link").symlink_to(tmp_path / "target")
    (listed / "plain").mkdir()
    assert [doc["name"] for doc in page(listed, root=tmp_path).documents] == ["link", "plain"]
    assert LISTING_CACHE.held_names() == 0
    # The link's type follows its target, which changes without touching the listed folder.
    (tmp_path / "target").rmdir()
    (tmp_path / "target").write_text("now a file")
    documents = page(listed, root=tmp_path).documents
    assert [(doc["name"], doc["type"]) for doc in documents] == [("plain", "dir"), ("link", "file")]
    assert page(listed, "name ASC", root=tmp_path).total == 2
    assert LISTING_CACHE.held_names() == 2


def test_cache_evicts_least_recently_used_listings_beyond_its_name_bound():
    cache = ListingCache(max_names=5)
    assert cache.put("a", ("1", "2"))
    assert cache.put("b", ("3", "4"))
    assert cache.get("a") == ("1", "2")
    assert cache.put("c", ("5", "6"))
    assert cache.get("b") is None
    assert cache.get("a") == ("1", "2") and cache.get("c") == ("5", "6")
    assert cache.held_names() == 4
    assert not cache.put("huge", tuple(str(i) for i in range(6)))
    assert cache.held_names() == 4 and cache.get("huge") is None
