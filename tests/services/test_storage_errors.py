"""Storage refusals relayed by Transfer (502 ExternalError.*) are the user's to fix, not an outage.

Against the emulator through the real SDK and services/files.py; the answers the emulator cannot
produce (a storage permission error while running as root, a Transfer 500/429) come from a small
loopback server speaking Transfer's error shape.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import globus_sdk
import pytest
from globus_sdk.transport import RetryConfig

from app.services import files
from app.services.errors import (
    CollectionUnavailable,
    InvalidRequest,
    RemotePermissionDenied,
    RemoteUnavailable,
    StorageRefused,
)
from app.services.globus.errors import globus_errors
from tests.emulator.transfer_clients import collection_id

LAB_ARCHIVE = collection_id("lab-archive")
PUBLIC = collection_id("public-reference")


@pytest.fixture
def folder(live_portal, alice_id) -> str:
    """A fresh folder on the Lab Archive holding the folders `taken/` and `notes/`."""
    name = f"storage-{uuid.uuid4().hex[:8]}"
    with live_portal.context():
        parent = files.make_folder(alice_id, LAB_ARCHIVE, "/~/", name)
        files.make_folder(alice_id, LAB_ARCHIVE, parent, "taken")
        files.make_folder(alice_id, LAB_ARCHIVE, parent, "notes")
    return parent


def test_mkdir_onto_an_existing_name_is_a_conflict_with_the_storage_message(live_portal, alice_id, folder):
    with live_portal.context(), pytest.raises(StorageRefused) as raised:
        files.make_folder(alice_id, LAB_ARCHIVE, folder, "taken")
    assert raised.value.status_code == 409 and raised.value.reason == "Exists"
    assert "already exists" in raised.value.message
    assert isinstance(raised.value, InvalidRequest), "the browse forms show it inline like any refusal"


def test_rename_onto_an_existing_name_is_a_conflict(live_portal, alice_id, folder):
    with live_portal.context(), pytest.raises(StorageRefused) as raised:
        files.rename_entry(alice_id, LAB_ARCHIVE, folder, "notes", "taken")
    assert raised.value.status_code == 409 and "already exists" in raised.value.message


def test_listing_a_file_is_a_bad_request_naming_the_path(live_portal, alice_id):
    # The Lab Archive's seeded shared/ folder holds plain files.
    with live_portal.context():
        shared = files.list_folder(alice_id, LAB_ARCHIVE, "/~/shared/", files.ListingOptions())
        a_file = next(entry for entry in shared.entries if not entry.is_dir)
        with pytest.raises(StorageRefused) as raised:
            files.list_folder(alice_id, LAB_ARCHIVE, a_file.path, files.ListingOptions())
    assert raised.value.status_code == 400 and "not a directory" in raised.value.message


def test_an_offline_collection_is_unreachable_not_transfer(live_portal, alice_id):
    assert live_portal.emulator.control_post(f"collections/{PUBLIC}/availability", {"available": False}).ok
    try:
        with live_portal.context(), pytest.raises(CollectionUnavailable) as raised:
            files.list_folder(alice_id, PUBLIC, "/", files.ListingOptions())
    finally:
        live_portal.emulator.control_post(f"collections/{PUBLIC}/availability", {"available": True})
    assert raised.value.status_code == 503 and raised.value.service == "transfer"
    assert "Public Reference" in raised.value.message, "Transfer's answer names the collection"
    assert raised.value.naming("Public Reference").collection_name == "Public Reference"


class CannedTransfer:
    """A loopback server answering every request with one status and a Transfer-shaped JSON error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"code": code, "message": message, "request_id": "canned", "resource": "/"}).encode()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                return  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="canned-transfer", daemon=True)

    def client(self) -> globus_sdk.TransferClient:
        """A TransferClient aimed here, without retries (so a 5xx/429 is final at once)."""
        return globus_sdk.TransferClient(
            authorizer=globus_sdk.AccessTokenAuthorizer("token"),
            base_url=f"http://127.0.0.1:{self._server.server_port}/",
            retry_config=RetryConfig(max_retries=0),
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def canned(request) -> Iterator[CannedTransfer]:
    with CannedTransfer(*request.param) as server:
        yield server


@pytest.mark.parametrize(
    "canned",
    [
        (
            502,
            "ExternalError.MkdirFailed.PermissionDenied",
            "The storage system refused the operation: Permission denied.",
        )
    ],
    indirect=True,
)
def test_a_storage_permission_error_is_permission_denied_with_its_message(canned):
    with pytest.raises(RemotePermissionDenied) as raised, globus_errors("transfer"):
        canned.client().operation_mkdir(str(uuid.uuid4()), "/~/x/")
    assert raised.value.status_code == 403 and "Permission denied" in raised.value.message


@pytest.mark.parametrize(
    "canned",
    [(502, "ExternalError.DirListingFailed.GCDisconnected", "The GCP endpoint is not currently connected to Globus")],
    indirect=True,
)
def test_a_disconnected_collection_is_unreachable(canned):
    with pytest.raises(CollectionUnavailable), globus_errors("transfer"):
        canned.client().operation_ls(str(uuid.uuid4()), path="/")


@pytest.mark.parametrize(
    "canned", [(502, "ExternalError.MkdirFailed.SomethingNew", "Odd storage answer.")], indirect=True
)
def test_an_unknown_storage_reason_is_still_the_storage_answering(canned):
    with pytest.raises(StorageRefused) as raised, globus_errors("transfer"):
        canned.client().operation_mkdir(str(uuid.uuid4()), "/~/x/")
    assert raised.value.status_code == 409 and raised.value.message == "Odd storage answer."


@pytest.mark.parametrize(
    "canned",
    [
        (500, "ServerError", "Internal error."),
        (502, "BadGateway", "Proxy error."),
        (503, "ServiceUnavailable", "Maintenance."),
        (429, "RequestLimitExceeded", "Slow down."),
    ],
    indirect=True,
)
def test_real_unavailability_of_transfer_stays_a_transfer_503(canned):
    with pytest.raises(RemoteUnavailable) as raised, globus_errors("transfer"):
        canned.client().operation_ls(str(uuid.uuid4()), path="/")
    assert type(raised.value) is RemoteUnavailable and raised.value.service_name == "Globus Transfer"
