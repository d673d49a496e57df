"""Every TransferData / DeleteData option has its real effect on disk (through the real SDK).

Source trees are written straight into a collection's folder, the task is submitted with the
SDK over HTTP, and the destination folder is inspected afterwards.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import globus_sdk
import pytest

from tests.emulator.test_transfer_tasks import wait_done


class Area:
    """A fresh folder on Alice's laptop collection, addressed both on disk and as a Globus path."""

    def __init__(self, collection: dict) -> None:
        self.collection_id = collection["id"]
        name = f"option-tests/{uuid.uuid4().hex}"
        self.disk = Path(collection["data_root"]) / name
        self.disk.mkdir(parents=True)
        self.path = f"/{name}"

    def write(self, relative: str, content: bytes | str, mtime: int | None = None) -> Path:
        target = self.disk / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        if mtime is not None:
            os.utime(target, (mtime, mtime))
        return target

    def files(self, relative: str) -> dict[str, bytes]:
        root = self.disk / relative
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def area(emulator) -> Area:
    return Area(emulator.collection("alice-laptop"))


def run(tc: globus_sdk.TransferClient, area: Area, items: list[tuple[str, str, bool]], **options) -> dict:
    data = globus_sdk.TransferData(area.collection_id, area.collection_id, **options)
    for source, destination, recursive in items:
        data.add_item(f"{area.path}/{source}", f"{area.path}/{destination}", recursive=recursive)
    return wait_done(tc, tc.submit_transfer(data)["task_id"])


def make_tree(area: Area) -> None:
    area.write("src/a.txt", "alpha")
    area.write("src/b.csv", "1,2,3\n")
    area.write("src/nested/c.txt", "gamma" * 100)
    area.write("src/nested/deeper/d.log", "log line\n")
    area.write("src/cache/e.tmp", "scratch")


def test_recursive_transfer_copies_the_whole_tree(alice, area):
    make_tree(area)
    task = run(alice, area, [("src/", "dst/", True)])
    assert task["status"] == "SUCCEEDED"
    assert area.files("dst") == area.files("src")
    assert task["files"] == task["files_transferred"] == 5
    assert task["directories"] == 4
    assert task["bytes_transferred"] == sum(len(v) for v in area.files("src").values())
    assert task["subtasks_succeeded"] == task["subtasks_total"] == 1 + 5 + 4
    paths = {
        (t["source_path"], t["destination_path"])
        for t in alice.paginated.task_successful_transfers(task["task_id"]).items()
    }
    assert (f"{area.path}/src/nested/c.txt", f"{area.path}/dst/nested/c.txt") in paths
    assert len(paths) == 5


def test_file_item_creates_missing_destination_folders(alice, area):
    area.write("one.bin", os.urandom(3000))
    task = run(alice, area, [("one.bin", "new/deep/folder/one.bin", False)])
    assert task["status"] == "SUCCEEDED"
    assert (area.disk / "new/deep/folder/one.bin").read_bytes() == (area.disk / "one.bin").read_bytes()


def test_directory_without_recursive_fails_the_task(alice, area):
    make_tree(area)
    task = run(alice, area, [("src", "dst", False)])
    assert task["status"] == "FAILED"
    assert task["fatal_error"]["code"] == "IS_A_DIRECTORY"
    assert not (area.disk / "dst").exists()


def _sync_setup(area: Area) -> None:
    area.write("src/same.txt", "identical", mtime=1_600_000_000)
    area.write("dst/same.txt", "identical", mtime=1_600_000_000)
    area.write("src/size.txt", "longer content", mtime=1_600_000_000)
    area.write("dst/size.txt", "short", mtime=1_700_000_000)
    area.write("src/newer.txt", "newer!", mtime=1_700_000_000)
    area.write("dst/newer.txt", "older!", mtime=1_600_000_000)
    area.write("src/content.txt", "AAAA", mtime=1_600_000_000)
    area.write("dst/content.txt", "BBBB", mtime=1_700_000_000)
    area.write("src/missing.txt", "only on source")


@pytest.mark.parametrize(
    "level, copied",
    [
        (None, {"same.txt", "size.txt", "newer.txt", "content.txt", "missing.txt"}),
        ("exists", {"missing.txt"}),
        ("size", {"size.txt", "missing.txt"}),
        ("mtime", {"newer.txt", "missing.txt"}),
        ("checksum", {"size.txt", "newer.txt", "content.txt", "missing.txt"}),
    ],
)
def test_sync_level_decides_which_files_are_copied(alice, area, level, copied):
    _sync_setup(area)
    before = area.files("dst")
    options = {} if level is None else {"sync_level": level}
    task = run(alice, area, [("src/", "dst/", True)], **options)
    assert task["status"] == "SUCCEEDED"
    transferred = {
        Path(t["destination_path"]).name for t in alice.paginated.task_successful_transfers(task["task_id"]).items()
    }
    assert transferred == copied
    after = area.files("dst")
    for name in {"same.txt", "size.txt", "newer.txt", "content.txt"} - copied:
        assert after[name] == before[name]
    for name in copied:
        assert after[name] == (area.disk / "src" / name).read_bytes()
    assert task["files"] == 5
    assert task["files_skipped"] == 5 - len(copied)
    assert task["sync_level"] == (None if level is None else {"exists": 0, "size": 1, "mtime": 2, "checksum": 3}[level])
    if level == "checksum":
        assert task["bytes_checksummed"] > 0


def test_filter_rules_include_exclude_by_name_and_type(alice, area):
    make_tree(area)
    area.write("src/nested/keep.tmp", "tmp but in nested")
    data = globus_sdk.TransferData(area.collection_id, area.collection_id)
    data.add_item(f"{area.path}/src/", f"{area.path}/dst/", recursive=True)
    data.add_filter_rule("cache", method="exclude", type="dir")
    data.add_filter_rule("keep.tmp", method="include", type="file")
    data.add_filter_rule("*.tmp", method="exclude", type="file")
    data.add_filter_rule("*.log", method="exclude")
    task = wait_done(alice, alice.submit_transfer(data)["task_id"])

    assert task["status"] == "SUCCEEDED"
    assert set(area.files("dst")) == {"a.txt", "b.csv", "nested/c.txt", "nested/keep.tmp"}
    assert task["filter_rules"][0] == {"DATA_TYPE": "filter_rule", "method": "exclude", "name": "cache", "type": "dir"}


def test_preserve_timestamp_keeps_source_mtime(alice, area):
    area.write("src/old.txt", "from 2020", mtime=1_580_000_000)
    kept = run(alice, area, [("src/old.txt", "kept/old.txt", False)], preserve_timestamp=True)
    fresh = run(alice, area, [("src/old.txt", "fresh/old.txt", False)])
    assert kept["preserve_timestamp"] is True and fresh["preserve_timestamp"] is False
    assert int((area.disk / "kept/old.txt").stat().st_mtime) == 1_580_000_000
    assert int((area.disk / "fresh/old.txt").stat().st_mtime) > 1_580_000_000


def test_verify_checksum_checksums_both_sides_and_reports_it(alice, area):
    content = os.urandom(50_000)
    area.write("src/data.bin", content)
    task = run(alice, area, [("src/data.bin", "dst/data.bin", False)], verify_checksum=True)
    assert task["status"] == "SUCCEEDED" and task["verify_checksum"] is True
    assert task["bytes_checksummed"] == 2 * len(content)
    [record] = alice.task_successful_transfers(task["task_id"])["DATA"]
    assert record["checksum"] == hashlib.md5(content).hexdigest()  # noqa: S324 - matching Globus' default
    assert record["checksum_algorithm"] == "MD5"


def test_external_checksum_must_match(alice, area):
    content = b"checked content"
    area.write("src/file.txt", content)
    good = globus_sdk.TransferData(area.collection_id, area.collection_id)
    good.add_item(
        f"{area.path}/src/file.txt",
        f"{area.path}/good/file.txt",
        external_checksum=hashlib.sha256(content).hexdigest(),
        checksum_algorithm="SHA256",
    )
    assert wait_done(alice, alice.submit_transfer(good)["task_id"])["status"] == "SUCCEEDED"

    bad = globus_sdk.TransferData(area.collection_id, area.collection_id)
    bad.add_item(f"{area.path}/src/file.txt", f"{area.path}/bad/file.txt", external_checksum="0" * 32)
    task = wait_done(alice, alice.submit_transfer(bad)["task_id"])
    assert task["status"] == "FAILED" and task["fatal_error"]["code"] == "CHECKSUM_MISMATCH"
    assert not (area.disk / "bad/file.txt").exists()


def test_delete_destination_extra_removes_what_the_source_lacks(alice, area):
    make_tree(area)
    area.write("dst/stale.txt", "remove me")
    area.write("dst/old dir/inner.txt", "remove me too")
    area.write("dst/protected.tmp", "kept by the filter")
    data = globus_sdk.TransferData(area.collection_id, area.collection_id, delete_destination_extra=True)
    data.add_item(f"{area.path}/src/", f"{area.path}/dst/", recursive=True)
    data.add_filter_rule("*.tmp", method="exclude", type="file")
    task = wait_done(alice, alice.submit_transfer(data)["task_id"])
    assert task["status"] == "SUCCEEDED" and task["delete_destination_extra"] is True
    remaining = set(area.files("dst"))
    assert "stale.txt" not in remaining and not (area.disk / "dst/old dir").exists()
    assert "protected.tmp" in remaining
    assert {"a.txt", "b.csv", "nested/c.txt", "nested/deeper/d.log"} <= remaining


def test_missing_source_fails_unless_skip_source_errors(alice, area):
    area.write("src/present.txt", "here")
    items = [("src/absent.txt", "dst/absent.txt", False), ("src/present.txt", "dst/present.txt", False)]
    failed = run(alice, area, items)
    assert failed["status"] == "FAILED" and failed["fatal_error"]["code"] == "FILE_NOT_FOUND"

    skipped = run(alice, area, items, skip_source_errors=True)
    assert skipped["status"] == "SUCCEEDED" and skipped["subtasks_skipped_errors"] == 1
    [error] = list(alice.paginated.task_skipped_errors(skipped["task_id"]).items())
    assert error["DATA_TYPE"] == "skipped_error" and error["error_code"] == "FILE_NOT_FOUND"
    assert error["source_path"] == f"{area.path}/src/absent.txt"
    assert (area.disk / "dst/present.txt").read_text() == "here"


def test_encrypt_data_and_notifications_are_recorded(alice, area):
    area.write("src/x.txt", "x")
    task = run(
        alice,
        area,
        [("src/x.txt", "dst/x.txt", False)],
        encrypt_data=True,
        notify_on_succeeded=False,
        notify_on_failed=False,
        notify_on_inactive=False,
    )
    assert task["status"] == "SUCCEEDED" and task["encrypt_data"] is True
    assert (area.disk / "dst/x.txt").read_text() == "x"


def test_past_deadline_fails_the_task_as_expired(alice, area):
    area.write("src/late.txt", "too late")
    task = run(alice, area, [("src/late.txt", "dst/late.txt", False)], deadline="2001-01-01T00:00:00Z")
    assert task["status"] == "FAILED"
    assert task["fatal_error"]["code"] == "DEADLINE_EXCEEDED"
    assert task["subtasks_expired"] >= 1
    assert any(e["code"] == "DEADLINE_EXCEEDED" and e["is_error"] for e in alice.task_event_list(task["task_id"]))
    assert not (area.disk / "dst/late.txt").exists()


def test_quota_exceeded_fails_with_fail_on_quota_errors(emulator, alice, area):
    project_id = emulator.collection("alice-laptop")["id"]
    area.write("src/big.bin", os.urandom(20_000))
    assert emulator.control_post(f"collections/{project_id}/quota", {"quota_bytes": 1}).status_code == 200
    try:
        task = run(alice, area, [("src/big.bin", "dst/big.bin", False)], fail_on_quota_errors=True)
    finally:
        emulator.control_post(f"collections/{project_id}/quota", {"quota_bytes": None})
    assert task["status"] == "FAILED" and task["fatal_error"]["code"] == "QUOTA_EXCEEDED"
    assert not (area.disk / "dst/big.bin").exists()


def test_quota_exceeded_without_fail_option_waits_until_space_is_freed(emulator, alice, area):
    collection_id = emulator.collection("alice-laptop")["id"]
    area.write("src/big.bin", os.urandom(20_000))
    assert emulator.control_post(f"collections/{collection_id}/quota", {"quota_bytes": 1}).status_code == 200
    try:
        data = globus_sdk.TransferData(area.collection_id, area.collection_id)
        data.add_item(f"{area.path}/src/big.bin", f"{area.path}/dst/big.bin")
        task_id = alice.submit_transfer(data)["task_id"]
        assert not alice.task_wait(task_id, timeout=3, polling_interval=1)
        events = [e["code"] for e in alice.task_event_list(task_id)]
        assert "QUOTA_EXCEEDED" in events
        assert alice.get_task(task_id)["nice_status"] == "QUOTA_EXCEEDED"
    finally:
        emulator.control_post(f"collections/{collection_id}/quota", {"quota_bytes": None})
    task = wait_done(alice, task_id)
    assert task["status"] == "SUCCEEDED" and task["faults"] >= 1
    assert (area.disk / "dst/big.bin").stat().st_size == 20_000


def test_successful_transfers_page_by_marker(alice, area):
    for index in range(230):
        area.write(f"many/f{index:03d}.txt", str(index))
    task = run(alice, area, [("many/", "copy/", True)])
    assert task["files_transferred"] == 230
    first = alice.task_successful_transfers(task["task_id"])
    assert len(first["DATA"]) == 100 and first["next_marker"] is not None
    everything = list(alice.paginated.task_successful_transfers(task["task_id"]).items())
    assert len(everything) == 230
    assert len({e["destination_path"] for e in everything}) == 230


def delete(tc, area: Area, paths: list[str], **options) -> dict:
    data = globus_sdk.DeleteData(area.collection_id, **options)
    for path in paths:
        data.add_item(f"{area.path}/{path}")
    return wait_done(tc, tc.submit_delete(data)["task_id"])


def test_delete_task_removes_files_and_recursive_folders(alice, area):
    make_tree(area)
    task = delete(alice, area, ["src/a.txt", "src/nested"], recursive=True)
    assert task["status"] == "SUCCEEDED" and task["type"] == "DELETE"
    assert task["destination_endpoint_id"] is None
    assert not (area.disk / "src/a.txt").exists() and not (area.disk / "src/nested").exists()
    assert (area.disk / "src/b.csv").exists()
    assert task["files"] == 3 and task["directories"] == 2


def test_delete_of_a_folder_needs_recursive(alice, area):
    make_tree(area)
    task = delete(alice, area, ["src/nested"])
    assert task["status"] == "FAILED" and task["fatal_error"]["code"] == "IS_A_DIRECTORY"
    assert (area.disk / "src/nested/c.txt").exists()


def test_delete_missing_path_fails_unless_ignore_missing(alice, area):
    assert delete(alice, area, ["nothing-here.txt"])["status"] == "FAILED"
    assert delete(alice, area, ["nothing-here.txt"], ignore_missing=True)["status"] == "SUCCEEDED"


def test_delete_interprets_globs_only_when_asked(alice, area):
    area.write("g/one.txt", "1")
    area.write("g/two.txt", "2")
    area.write("g/keep.csv", "3")
    area.write("g/*.txt", "a file literally named with a star")
    literal = delete(alice, area, ["g/*.txt"])
    assert literal["status"] == "SUCCEEDED"
    assert sorted(area.files("g")) == ["keep.csv", "one.txt", "two.txt"]
    globbed = delete(alice, area, ["g/*.txt"], interpret_globs=True)
    assert globbed["status"] == "SUCCEEDED" and globbed["files"] == 2
    assert sorted(area.files("g")) == ["keep.csv"]


@pytest.mark.parametrize("mode", ["ignore", "keep", "copy"])
def test_recursive_symlinks_ignore_keep_or_copy(alice, area, mode):
    area.write("src/real.txt", "pointed at")
    os.symlink("real.txt", area.disk / "src/link.txt")
    os.symlink("/etc/hostname", area.disk / "src/outside")
    data = globus_sdk.TransferData(
        area.collection_id, area.collection_id, additional_fields={"recursive_symlinks": mode}
    )
    data.add_item(f"{area.path}/src/", f"{area.path}/dst/", recursive=True)
    task = wait_done(alice, alice.submit_transfer(data)["task_id"])

    assert task["status"] == "SUCCEEDED" and task["recursive_symlinks"] == mode
    assert task["symlinks"] == 2
    link = area.disk / "dst/link.txt"
    if mode == "ignore":
        assert not os.path.lexists(link)
    elif mode == "keep":
        assert link.is_symlink() and os.readlink(link) == "real.txt"
    else:
        assert not link.is_symlink() and link.read_text() == "pointed at"
    # A link leading out of the collection is never followed: "keep" recreates the link itself,
    # "copy" skips it like "ignore" does.
    outside = area.disk / "dst/outside"
    if mode == "keep":
        assert outside.is_symlink() and os.readlink(outside) == "/etc/hostname"
    else:
        assert not os.path.lexists(outside)
