"""ls, stat, mkdir and rename through the real globus_sdk.TransferClient, including hostile input."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import globus_sdk
import pytest

from tests.emulator.transfer_clients import api_error, collection_id, fixture_keys

LAPTOP = collection_id("alice-laptop")
SHARED = collection_id("cryoem-shared")
PUBLIC = collection_id("public-reference")


@pytest.fixture
def workdir(emulator, alice):
    """A fresh directory on Alice's laptop collection: (collection path, folder on disk)."""
    name = f"fs-test-{uuid.uuid4().hex[:8]}"
    alice.operation_mkdir(LAPTOP, f"/{name}/")
    on_disk = Path(emulator.collection("alice-laptop")["data_root"]) / name
    yield f"/{name}/", on_disk
    shutil.rmtree(on_disk, ignore_errors=True)


def names(listing) -> list[str]:
    return [entry["name"] for entry in listing["DATA"]]


def test_ls_default_path_is_home_and_entries_have_stat_fixture_keys(alice):
    listing = alice.operation_ls(SHARED)
    assert listing["DATA_TYPE"] == "file_list"
    assert listing["endpoint"] == SHARED
    assert listing["path"] == "/~/"
    assert {"run 01", "run 02", "raw data", "Müller_2024", "README.txt", "latest run"} <= set(names(listing))
    stat_keys = fixture_keys(globus_sdk.TransferClient.operation_stat)
    for entry in listing["DATA"]:
        assert entry["DATA_TYPE"] == "file"
        assert not stat_keys - set(entry)
    assert listing["length"] == len(listing["DATA"]) == listing["total"]


def test_ls_shows_types_sizes_and_symlinks(alice):
    by_name = {entry["name"]: entry for entry in alice.operation_ls(SHARED)["DATA"]}
    assert by_name["run 01"]["type"] == "dir"
    assert by_name["README.txt"]["type"] == "file"
    assert by_name["README.txt"]["size"] > 0
    assert by_name["README.txt"]["permissions"] == "0644"
    link = by_name["latest run"]
    assert link["type"] == "dir" and link["link_target"] == "/run 02"
    assert by_name["README.txt"]["link_target"] is None
    # The link is followed safely: listing through it shows run 02's files.
    assert names(alice.operation_ls(SHARED, path="/latest run/")) == names(alice.operation_ls(SHARED, path="/run 02/"))


def test_ls_show_hidden(alice):
    assert ".checksums.md5" in names(alice.operation_ls(SHARED))
    assert ".checksums.md5" not in names(alice.operation_ls(SHARED, show_hidden=False))


def test_ls_filters(alice):
    texts = alice.operation_ls(SHARED, path="/Müller_2024/", filter="name:~*.csv")
    assert texts["DATA"] and all(entry["name"].endswith(".csv") for entry in texts["DATA"])
    dirs = alice.operation_ls(SHARED, filter="type:dir")
    assert {"run 01", "run 02", "raw data", "Müller_2024", "processed", "notebooks", "latest run"} <= set(names(dirs))
    assert {entry["type"] for entry in dirs["DATA"]} == {"dir"}
    assert "README.txt" not in names(dirs)
    exact = alice.operation_ls(SHARED, path="/run 01/", filter="name:img_0001.tif,img_0002.tif")
    assert names(exact) == ["img_0001.tif", "img_0002.tif"]
    negated = alice.operation_ls(SHARED, path="/run 01/", filter="name:!~img_*")
    assert names(negated) == ["movie_0001.mrc"]
    big = alice.operation_ls(SHARED, path="/run 01/", filter={"size": ">1000000", "type": "file"})
    assert names(big) == ["movie_0001.mrc"]
    old = alice.operation_ls(SHARED, path="/run 01/", filter={"last_modified": ["", "2000-01-01"]})
    assert old["DATA"] == [] and old["total"] == 0


def test_ls_orderby(alice):
    by_size = alice.operation_ls(SHARED, path="/run 01/", orderby="size DESC")["DATA"]
    sizes = [entry["size"] for entry in by_size]
    assert sizes == sorted(sizes, reverse=True)
    by_name_desc = names(alice.operation_ls(SHARED, path="/run 01/", orderby="name DESC"))
    assert by_name_desc == sorted(by_name_desc, reverse=True)
    by_type = alice.operation_ls(SHARED, orderby=["type ASC", "name ASC"])["DATA"]
    kinds = [entry["type"] for entry in by_type]
    assert kinds == sorted(kinds)
    by_time = [e["last_modified"] for e in alice.operation_ls(SHARED, path="/run 02/", orderby="last_modified")["DATA"]]
    assert by_time == sorted(by_time)


def test_ls_pages_with_limit_and_offset(alice):
    everything = names(alice.operation_ls(SHARED, path="/raw data/"))
    pages = []
    offset = 0
    while True:
        page = alice.operation_ls(SHARED, path="/raw data/", limit=7, offset=offset)
        assert page["limit"] == 7 and page["offset"] == offset
        assert page["total"] == len(everything)
        pages.extend(names(page))
        offset += page["length"]
        if not page["has_next_page"]:
            break
    assert pages == everything


@pytest.mark.parametrize(
    "params",
    [
        {"orderby": "colour ASC"},
        {"orderby": "name SIDEWAYS"},
        {"filter": "colour:red"},
        {"filter": "size:>big"},
        {"filter": "type:socket"},
        {"filter": "last_modified:yesterday,"},
        {"filter": "name"},
        {"limit": 0},
        {"limit": 100001},
        {"offset": -1},
        {"show_hidden": "maybe"},
    ],
)
def test_bad_ls_parameters_are_400(alice, params):
    error = api_error(alice.get, f"/v0.10/operation/endpoint/{SHARED}/ls", query_params=params)
    assert error.http_status == 400


def test_stat_file_directory_and_missing(alice):
    document = alice.operation_stat(SHARED, "/README.txt")
    assert not fixture_keys(globus_sdk.TransferClient.operation_stat) - set(document.data)
    assert document["name"] == "README.txt" and document["type"] == "file"
    assert alice.operation_stat(SHARED, "/run 01")["type"] == "dir"
    error = api_error(alice.operation_stat, SHARED, "/no such file")
    assert error.http_status == 404 and error.code == "NotFound"
    # Real error documents (the SDK's canned stat 404/403) carry code, message, request_id and resource.
    assert not fixture_keys(globus_sdk.TransferClient.operation_stat, "not_found") - set(error.raw_json)
    assert error.raw_json["resource"] == f"/v0.10/operation/endpoint/{SHARED}/stat"


def test_ls_of_missing_or_non_directory_paths(alice):
    error = api_error(alice.operation_ls, SHARED, path="/no such dir/")
    assert error.http_status == 404 and error.code == "ClientError.NotFound"
    error = api_error(alice.operation_ls, SHARED, path="/README.txt")
    assert error.http_status == 502 and error.code == "ExternalError.DirListingFailed.NotDirectory"


def test_mkdir_and_rename_answers_have_fixture_keys_and_act_on_disk(alice, workdir):
    path, on_disk = workdir
    created = alice.operation_mkdir(LAPTOP, path + "made/")
    assert not fixture_keys(globus_sdk.TransferClient.operation_mkdir) - set(created.data)
    assert created["DATA_TYPE"] == "mkdir_result" and created["code"] == "DirectoryCreated"
    assert (on_disk / "made").is_dir()
    renamed = alice.operation_rename(LAPTOP, path + "made", path + "moved")
    assert not fixture_keys(globus_sdk.TransferClient.operation_rename) - set(renamed.data)
    assert renamed["code"] == "FileRenamed"
    assert (on_disk / "moved").is_dir() and not (on_disk / "made").exists()
    assert names(alice.operation_ls(LAPTOP, path=path)) == ["moved"]


def test_mkdir_failures(alice, workdir):
    path, _ = workdir
    error = api_error(alice.operation_mkdir, LAPTOP, path)
    assert error.http_status == 502 and error.code == "ExternalError.MkdirFailed.Exists"
    error = api_error(alice.operation_mkdir, LAPTOP, path + "missing/child/")
    assert error.http_status == 404 and error.code == "ClientError.NotFound"
    # Scripts written against Globus look for the storage's own wording.
    assert "No such file or directory" in error.message
    error = api_error(alice.operation_mkdir, LAPTOP, "/")
    assert error.http_status == 502


def test_rename_failures_change_nothing(alice, workdir):
    path, on_disk = workdir
    alice.operation_mkdir(LAPTOP, path + "a/")
    alice.operation_mkdir(LAPTOP, path + "b/")
    error = api_error(alice.operation_rename, LAPTOP, path + "a", path + "b")
    assert error.http_status == 502 and error.code == "ExternalError.RenameFailed.Exists"
    error = api_error(alice.operation_rename, LAPTOP, path + "nothing", path + "c")
    assert error.http_status == 404
    error = api_error(alice.operation_rename, LAPTOP, path + "a", path + "a/inside")
    assert error.http_status == 400
    error = api_error(alice.operation_rename, LAPTOP, "/", path + "root")
    assert error.http_status == 400
    assert sorted(os.listdir(on_disk)) == ["a", "b"]


@pytest.mark.parametrize(
    "name",
    [
        "name with spaces",
        "Müller_2024 ü 日本語",
        'it\'s "quoted" & $dollar',
        "-rf",
        "%2e%2e",
        "..dots..",
        "semi;colon|pipe",
        "tab\there",
        "back\\slash",
        "#hash?query",
    ],
)
def test_hostile_names_stay_literal_and_inside(alice, workdir, name):
    path, on_disk = workdir
    alice.operation_mkdir(LAPTOP, path + name)
    assert (on_disk / name).is_dir()
    assert names(alice.operation_ls(LAPTOP, path=path)) == [name]
    assert alice.operation_stat(LAPTOP, path + name)["name"] == name
    alice.operation_rename(LAPTOP, path + name, path + name + " (renamed)")
    assert os.listdir(on_disk) == [name + " (renamed)"]


@pytest.mark.parametrize("escape", ["/..", "/../", "/../../etc", "/~/../..", "/a/../../b", "~/../x"])
def test_dot_dot_escapes_are_refused(alice, escape):
    error = api_error(alice.operation_ls, LAPTOP, path=escape)
    assert error.http_status == 403 and error.code == "EndpointPermissionDenied"


def test_escaping_mkdir_and_rename_touch_nothing_outside(emulator, alice, workdir):
    path, on_disk = workdir
    data_root = Path(emulator.collection("alice-laptop")["data_root"])
    marker = f"escaped-{uuid.uuid4().hex[:8]}"
    error = api_error(alice.operation_mkdir, LAPTOP, f"/../{marker}/")
    assert error.http_status == 403
    alice.operation_mkdir(LAPTOP, path + "keep/")
    error = api_error(alice.operation_rename, LAPTOP, path + "keep", f"/../../{marker}")
    assert error.http_status == 403
    assert (on_disk / "keep").is_dir()
    assert not (data_root.parent / marker).exists() and not (data_root.parent.parent / marker).exists()


def test_absolute_host_paths_are_confined_to_the_collection(alice):
    error = api_error(alice.operation_ls, LAPTOP, path="/etc/")
    assert error.http_status == 404  # "/etc" of the collection, not of the host
    error = api_error(alice.operation_stat, LAPTOP, "/etc/passwd")
    assert error.http_status == 404


@pytest.mark.parametrize("bad", ["/a\x00b/", "/" + "x" * 300 + "/", "/" + "deep/" * 900])
def test_nul_bytes_and_overlong_paths_are_400(alice, bad):
    error = api_error(alice.operation_ls, LAPTOP, path=bad)
    assert error.http_status == 400


def test_symlinks_leading_out_are_listed_but_never_followed(emulator, alice, workdir, tmp_path):
    path, on_disk = workdir
    outside = tmp_path / "outside-secret"
    outside.mkdir()
    (outside / "secret.txt").write_text("host secret")
    os.symlink(outside, on_disk / "escape-link")
    os.symlink("../../../../../../etc/passwd", on_disk / "relative-escape")
    listing = {entry["name"]: entry for entry in alice.operation_ls(LAPTOP, path=path)["DATA"]}
    assert listing["escape-link"]["type"] == "invalid_symlink"
    assert listing["escape-link"]["link_target"] is None  # no host path leaks
    assert listing["relative-escape"]["type"] == "invalid_symlink"
    error = api_error(alice.operation_ls, LAPTOP, path=path + "escape-link/")
    assert error.http_status == 403
    error = api_error(alice.operation_stat, LAPTOP, path + "escape-link/secret.txt")
    assert error.http_status == 403
    error = api_error(alice.operation_mkdir, LAPTOP, path + "escape-link/new/")
    assert error.http_status == 403
    assert os.listdir(outside) == ["secret.txt"]
    assert alice.operation_stat(LAPTOP, path + "escape-link")["type"] == "invalid_symlink"


def test_malformed_and_unexpected_bodies_are_400(alice):
    url = f"/v0.10/operation/endpoint/{LAPTOP}/mkdir"
    for body in (
        "{not json",
        "[1, 2]",
        {"DATA_TYPE": "mkdir"},
        {"path": "/x/", "colour": "red"},
        {"DATA_TYPE": "rename", "path": "/x/"},
        {"path": 42},
    ):
        error = api_error(alice.post, url, data=body)
        assert error.http_status == 400, body
    error = api_error(alice.post, f"/v0.10/operation/endpoint/{LAPTOP}/rename", data={"old_path": "/a"})
    assert error.http_status == 400
