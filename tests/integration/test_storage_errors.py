"""Storage refusals on the file manager pages: a 4xx with the storage's message on the same page.

Transfer relays the storage's answer as 502 ExternalError.*: an existing name, a file where a folder
was expected, a storage permission error. Those are the user's to fix, shown inline; only a
collection that is offline, or Transfer itself failing, is an outage (503).
"""
from __future__ import annotations

import json
import threading
import uuid
from typing import Any, Self

import pytest
import requests
from markupsafe import escape

from tests.integration.researcher_support import (
    collection_id,
    extra_portal,
    form_fields,
)

LAB_ARCHIVE = collection_id("lab-archive")
PUBLIC = collection_id("public-reference")
OUTAGE = "Globus Transfer is not responding"


@pytest.fixture(scope="module")
def alice(live_portal):
    """A browser logged in as Alice."""
    return live_portal.logged_in("alice")


def _mkdir(portal, browser, collection, parent, name):
    page = browser.get(portal.url(f"/browse/{collection}"), params={"path": parent}, timeout=30)
    fields = dict(form_fields(page.text, "/mkdir"))
    fields["name"] = name
    return browser.post(portal.url(f"/browse/{collection}/mkdir"), data=fields, allow_redirects=False, timeout=60)


def _new_folder(portal, browser) -> str:
    name = f"storage-{uuid.uuid4().hex[:8]}"
    assert _mkdir(portal, browser, LAB_ARCHIVE, "/~/", name).status_code == 302
    return f"/~/{name}/"


def test_mkdir_onto_an_existing_name_is_a_409_inline_keeping_the_name(live_portal, alice):
    parent = _new_folder(live_portal, alice)
    assert _mkdir(live_portal, alice, LAB_ARCHIVE, parent, "results").status_code == 302
    again = _mkdir(live_portal, alice, LAB_ARCHIVE, parent, "results")
    assert again.status_code == 409, again.text[:500]
    assert OUTAGE not in again.text and "Try again" not in again.text
    assert 'id="mkdir-error"' in again.text and "already exists" in again.text
    assert 'value="results"' in again.text, "what was typed is kept"
    assert f'value="{escape(parent)}"' in again.text, "still the folder the user was in"


def test_rename_onto_an_existing_name_is_a_409_on_the_rename_form(live_portal, alice):
    parent = _new_folder(live_portal, alice)
    for name in ("first", "second"):
        assert _mkdir(live_portal, alice, LAB_ARCHIVE, parent, name).status_code == 302
    form = alice.get(live_portal.url(f"/browse/{LAB_ARCHIVE}/rename"), params={"path": parent, "name": "first"},
                     timeout=30)
    fields = dict(form_fields(form.text, "/rename"))
    fields["new_name"] = "second"
    refused = alice.post(live_portal.url(f"/browse/{LAB_ARCHIVE}/rename"), data=fields, allow_redirects=False,
                         timeout=60)
    assert refused.status_code == 409, refused.text[:500]
    assert OUTAGE not in refused.text
    assert 'id="new-name-error"' in refused.text and "already exists" in refused.text
    assert 'value="second"' in refused.text, "what was typed is kept"


def test_a_file_in_the_path_box_is_a_400_beside_the_path_box(live_portal, alice):
    page = alice.get(live_portal.url(f"/browse/{LAB_ARCHIVE}"), params={"path": "/~/shared/measurements_001.csv"},
                     timeout=60)
    assert page.status_code == 400, page.text[:500]
    assert OUTAGE not in page.text
    assert 'id="path-error"' in page.text and "not a directory" in page.text
    assert 'value="/~/shared/measurements_001.csv"' in page.text, "the typed path is kept"


def test_an_offline_collection_names_the_collection_not_transfer(live_portal, alice):
    emulator = live_portal.emulator
    assert emulator.control_post(f"collections/{PUBLIC}/availability", {"available": False}).status_code == 200
    try:
        page = alice.get(live_portal.url(f"/browse/{PUBLIC}"), timeout=60)
        probe = alice.get(live_portal.url(f"/_probe/ls/{PUBLIC}"), timeout=60)
        as_json = alice.get(live_portal.url(f"/_probe/ls/{PUBLIC}"), headers={"Accept": "application/json"},
                            timeout=60)
    finally:
        emulator.control_post(f"collections/{PUBLIC}/availability", {"available": True})
    assert page.status_code == 503 and page.headers.get("Retry-After")
    assert "Public Reference Datasets is not reachable" in page.text
    assert OUTAGE not in page.text and "Globus Transfer" not in page.text
    assert f'href="/browse/{PUBLIC}"' in page.text and "Try again" in page.text
    assert probe.status_code == 503 and "not reachable" in probe.text and "Public Reference" in probe.text
    assert OUTAGE not in probe.text
    assert as_json.status_code == 503 and as_json.json()["error"] == "collection_unavailable"


class AnsweringProxy:
    """A loopback proxy to the emulator's Transfer that answers chosen paths itself.

    `answer(suffix, status, code, message)` makes requests ending in `suffix` get that
    Transfer-shaped error instead (what real storage or a failing Transfer would send).
    """

    def __init__(self, upstream_base: str) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.upstream_base = upstream_base.rstrip("/")
        self.canned: dict[str, tuple[int, bytes]] = {}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status: int, headers: dict[str, str], content: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                for suffix, (status, content) in proxy.canned.items():
                    if self.path.split("?")[0].endswith(suffix):
                        return self._reply(status, {"Content-Type": "application/json"}, content)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = requests.request(self.command, proxy.upstream_base + self.path, data=body,
                                            headers=headers, timeout=60, allow_redirects=False)
                kept = {name: value for name, value in upstream.headers.items() if name.lower()
                        not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
                return self._reply(upstream.status_code, kept, upstream.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                return  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="answering-proxy", daemon=True)

    @property
    def url(self) -> str:
        """Base URL to give the portal as its Transfer service URL."""
        return f"http://127.0.0.1:{self._server.server_port}/"

    def answer(self, path_suffix: str, status: int, code: str, message: str) -> None:
        """Answer requests ending in `path_suffix` with this error from now on."""
        self.canned[path_suffix] = (status, json.dumps({"code": code, "message": message,
                                                        "request_id": "proxy"}).encode())

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def proxied(live_portal, tmp_path):
    """A portal whose Transfer calls go through an AnsweringProxy (no retries: answers are final)."""
    emulator = live_portal.emulator
    with AnsweringProxy(emulator.services["transfer"]) as proxy, extra_portal(
        emulator, tmp_path / "instance", GLOBUS_TRANSFER_URL=proxy.url, GLOBUS_MAX_RETRIES=0,
    ) as portal:
        yield portal, proxy, portal.logged_in("alice")


def test_a_storage_permission_error_is_a_403_inline(proxied):
    portal, proxy, browser = proxied
    proxy.answer("/mkdir", 502, "ExternalError.MkdirFailed.PermissionDenied",
                 "The storage system refused the operation: Permission denied.")
    refused = _mkdir(portal, browser, LAB_ARCHIVE, "/~/", "locked")
    assert refused.status_code == 403, refused.text[:500]
    assert OUTAGE not in refused.text
    assert 'id="mkdir-error"' in refused.text and "Permission denied" in refused.text
    assert 'value="locked"' in refused.text


@pytest.mark.parametrize("status, code", [(500, "ServerError"), (502, "BadGateway"), (429, "RequestLimitExceeded")])
def test_transfer_itself_failing_is_still_the_transfer_503(proxied, status, code):
    portal, proxy, browser = proxied
    proxy.answer("/ls", status, code, "Transfer is having a bad day.")
    page = browser.get(portal.url(f"/browse/{LAB_ARCHIVE}"), timeout=60)
    assert page.status_code == 503 and OUTAGE in page.text and "Try again" in page.text
