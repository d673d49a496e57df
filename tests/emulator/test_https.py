"""Collection HTTPS servers: plain `requests` with collection-scoped bearer tokens, over real HTTP."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests

from tests.emulator.helpers import login_user_tokens


def https_token(emulator, username: str, slug: str) -> str:
    """A user's access token for a collection's https scope (resource server = collection id)."""
    collection_id = emulator.collection(slug)["id"]
    tokens = login_user_tokens(emulator, username, [f"https://auth.globus.org/scopes/{collection_id}/https"])
    return tokens[collection_id]["access_token"]


class Collection:
    """A collection's HTTPS base URL and folder on disk, with a fresh test folder in it."""

    def __init__(self, emulator, slug: str) -> None:
        manifest = emulator.collection(slug)
        self.id = manifest["id"]
        self.base = f"{emulator.base_url}/https/{self.id}"
        self.root = Path(manifest["data_root"])
        self.folder = f"https-tests/{uuid.uuid4().hex}"
        (self.root / self.folder).mkdir(parents=True)

    def url(self, name: str) -> str:
        return f"{self.base}/{self.folder}/{name}"

    def disk(self, name: str) -> Path:
        return self.root / self.folder / name


@pytest.fixture(scope="module")
def alice_shared(emulator) -> str:
    return https_token(emulator, "alice", "cryoem-shared")


@pytest.fixture
def shared(emulator) -> Collection:
    return Collection(emulator, "cryoem-shared")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_get_streams_the_whole_file_with_metadata(shared, alice_shared):
    content = os.urandom(300_000)
    shared.disk("data.bin").write_bytes(content)
    response = requests.get(shared.url("data.bin"), headers=bearer(alice_shared), timeout=30)
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["Content-Length"] == str(len(content))
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    again = requests.get(
        shared.url("data.bin"), headers={**bearer(alice_shared), "If-None-Match": response.headers["ETag"]}, timeout=30
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "header, first, last",
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, 4999), ("bytes=-10", 4990, 4999), ("bytes=4990-9999", 4990, 4999)],
)
def test_range_requests_return_partial_content(shared, alice_shared, header, first, last):
    content = os.urandom(5000)
    shared.disk("ranged.bin").write_bytes(content)
    response = requests.get(shared.url("ranged.bin"), headers={**bearer(alice_shared), "Range": header}, timeout=30)
    assert response.status_code == 206
    assert response.content == content[first : last + 1]
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/5000"
    assert response.headers["Content-Length"] == str(last - first + 1)


def test_unsatisfiable_range_is_416(shared, alice_shared):
    shared.disk("small.txt").write_text("tiny")
    response = requests.get(
        shared.url("small.txt"), headers={**bearer(alice_shared), "Range": "bytes=10-20"}, timeout=30
    )
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */4"
    assert response.json()["code"] == "RangeNotSatisfiable"


def test_open_ended_range_past_the_end_is_416(shared, alice_shared):
    shared.disk("small.txt").write_text("tiny")
    response = requests.get(shared.url("small.txt"), headers={**bearer(alice_shared), "Range": "bytes=10-"}, timeout=30)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */4"


HUGE = "9" * 5000  # past Python's 4300-digit limit for int(str)


@pytest.mark.parametrize(
    "header, status, content_range",
    [
        # b"\xb2" is latin-1 for a superscript two: str.isdigit() says yes, int() says no; not a range at all.
        (b"bytes=\xb2-", 200, None),
        (b"bytes=0-\xb2", 200, None),
        (b"bytes=-\xb2", 200, None),
        (f"bytes={HUGE}-", 416, "bytes */4"),
        (f"bytes=0-{HUGE}", 206, "bytes 0-3/4"),
        (f"bytes=-{HUGE}", 206, "bytes 0-3/4"),
        (f"bytes={'0' * 5000}1-", 206, "bytes 1-3/4"),
    ],
)
def test_hostile_range_numbers_get_a_clear_answer(shared, alice_shared, header, status, content_range):
    shared.disk("small.txt").write_text("tiny")
    response = requests.get(shared.url("small.txt"), headers={**bearer(alice_shared), "Range": header}, timeout=30)
    assert response.status_code == status
    assert response.headers.get("Content-Range") == content_range


def test_head_reports_size_without_a_body(shared, alice_shared):
    shared.disk("head.txt").write_text("hello head")
    response = requests.head(shared.url("head.txt"), headers=bearer(alice_shared), timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "10"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.content == b""


def test_put_creates_and_replaces_files(shared, alice_shared):
    created = requests.put(shared.url("upload.bin"), data=b"first version", headers=bearer(alice_shared), timeout=30)
    assert created.status_code == 201
    assert shared.disk("upload.bin").read_bytes() == b"first version"

    def chunks():
        yield b"second "
        yield b"version, streamed"

    replaced = requests.put(shared.url("upload.bin"), data=chunks(), headers=bearer(alice_shared), timeout=30)
    assert replaced.status_code == 200
    assert shared.disk("upload.bin").read_bytes() == b"second version, streamed"
    leftovers = [p.name for p in shared.disk("").iterdir() if p.name.startswith(".globus-part-")]
    assert leftovers == []


def test_put_needs_an_existing_parent_and_a_file_target(shared, alice_shared):
    missing_parent = requests.put(
        shared.url("no/such/dir/file.txt"), data=b"x", headers=bearer(alice_shared), timeout=30
    )
    assert missing_parent.status_code == 404
    assert not shared.disk("no").exists()
    shared.disk("adir").mkdir()
    onto_dir = requests.put(shared.url("adir"), data=b"x", headers=bearer(alice_shared), timeout=30)
    assert onto_dir.status_code == 409
    assert shared.disk("adir").is_dir()


def test_delete_removes_files_only(shared, alice_shared):
    shared.disk("gone.txt").write_text("bye")
    shared.disk("folder").mkdir()
    assert requests.delete(shared.url("gone.txt"), headers=bearer(alice_shared), timeout=30).status_code == 204
    assert not shared.disk("gone.txt").exists()
    assert requests.delete(shared.url("gone.txt"), headers=bearer(alice_shared), timeout=30).status_code == 404
    folder = requests.delete(shared.url("folder"), headers=bearer(alice_shared), timeout=30)
    assert folder.status_code == 409 and shared.disk("folder").is_dir()


def test_access_rules_are_enforced(emulator, shared):
    shared.disk("secret.txt").write_text("lab only")
    dave = https_token(emulator, "dave", "cryoem-shared")
    denied = requests.get(shared.url("secret.txt"), headers=bearer(dave), timeout=30)
    assert denied.status_code == 403 and denied.json()["code"] == "EndpointPermissionDenied"
    anonymous = requests.get(shared.url("secret.txt"), timeout=30)
    assert anonymous.status_code == 401
    write = requests.put(shared.url("dave.txt"), data=b"x", headers=bearer(dave), timeout=30)
    assert write.status_code == 403 and not shared.disk("dave.txt").exists()

    project = Collection(emulator, "alice-project")
    project.disk("notes.txt").write_text("bob may read")
    bob = https_token(emulator, "bob", "alice-project")
    assert requests.get(project.url("notes.txt"), headers=bearer(bob), timeout=30).text == "bob may read"
    assert requests.put(project.url("notes.txt"), data=b"bob edits", headers=bearer(bob), timeout=30).status_code == 403
    assert requests.delete(project.url("notes.txt"), headers=bearer(bob), timeout=30).status_code == 403
    assert project.disk("notes.txt").read_text() == "bob may read"


def test_tokens_must_be_for_this_collection(emulator, shared, alice_shared):
    shared.disk("x.txt").write_text("x")
    other = Collection(emulator, "public-reference")
    wrong = requests.get(f"{other.base}/README.txt", headers=bearer(alice_shared), timeout=30)
    assert wrong.status_code == 401
    garbage = requests.get(shared.url("x.txt"), headers=bearer("not-a-token"), timeout=30)
    assert garbage.status_code == 401 and garbage.json()["code"] == "AuthenticationFailed"


def test_public_collection_serves_anonymous_reads_only(emulator):
    public = emulator.collection("public-reference")
    base = f"{emulator.base_url}/https/{public['id']}"
    response = requests.get(f"{base}/README.txt", timeout=30)
    assert response.status_code == 200
    assert response.content == (Path(public["data_root"]) / "README.txt").read_bytes()
    assert requests.put(f"{base}/anonymous.txt", data=b"x", timeout=30).status_code == 401
    download = requests.get(f"{base}/README.txt", params={"download": "1"}, timeout=30)
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_head_on_a_folder_says_it_is_a_directory(shared, alice_shared):
    response = requests.head(f"{shared.base}/{shared.folder}", headers=bearer(alice_shared), timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "httpd/unix-directory"
    assert response.content == b""


def test_errors_are_json_for_missing_paths_directories_and_outages(emulator, shared, alice_shared):
    missing = requests.get(shared.url("nope.txt"), headers=bearer(alice_shared), timeout=30)
    assert missing.status_code == 404 and missing.json()["code"] == "ClientError.NotFound"
    directory = requests.get(f"{shared.base}/{shared.folder}", headers=bearer(alice_shared), timeout=30)
    assert directory.status_code == 409
    escape = requests.get(f"{shared.base}/../../etc/passwd", headers=bearer(alice_shared), timeout=30)
    assert escape.status_code == 404, escape.text[:300]
    unknown = requests.get(f"{emulator.base_url}/https/{uuid.uuid4()}/x", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["code"] == "EndpointNotFound"

    shared.disk("later.txt").write_text("after the outage")
    assert emulator.control_post(f"collections/{shared.id}/availability", {"available": False}).status_code == 200
    try:
        down = requests.get(shared.url("later.txt"), headers=bearer(alice_shared), timeout=30)
        assert down.status_code == 503 and down.json()["code"] == "EndpointError"
    finally:
        emulator.control_post(f"collections/{shared.id}/availability", {"available": True})
    assert requests.get(shared.url("later.txt"), headers=bearer(alice_shared), timeout=30).text == "after the outage"


def test_personal_collections_have_no_https_server(emulator):
    laptop = emulator.collection("alice-laptop")
    token = https_token(emulator, "alice", "alice-laptop")
    response = requests.get(f"{emulator.base_url}/https/{laptop['id']}/README.txt", headers=bearer(token), timeout=30)
    assert response.status_code == 404
