"""Helpers for the researcher-page tests: form scraping, task waiting, extra portals, a hanging upstream."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Self

import requests
from werkzeug.serving import make_server

from tests.portal_fixtures import LivePortal, build_migrated_app, portal_overrides
from tests.waiting import wait_until

TASK_WAIT_SECONDS = 120


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = {"action": values.get("action", ""), "id": values.get("id", ""), "fields": []}
            self.forms.append(self._current)
        elif tag == "input" and values.get("type") == "hidden":
            owner = self._owner(values)
            if owner is not None:
                owner["fields"].append((values.get("name", ""), values.get("value", "")))
        elif tag == "textarea" and self._current is not None:
            self._textarea = values.get("name", "")
            self._current["fields"].append((self._textarea, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._current is not None:
            name, text = self._current["fields"][-1]
            self._current["fields"][-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "textarea":
            self._textarea = None

    def _owner(self, values: dict[str, str]) -> dict[str, Any] | None:
        if values.get("form"):
            return next((f for f in self.forms if f["id"] == values["form"]), None)
        return self._current


def form_fields(html: str, action_contains: str) -> list[tuple[str, str]]:
    """Hidden fields (and textareas) of the first form whose action contains `action_contains`."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if action_contains in form["action"]:
            return list(form["fields"])
    raise AssertionError(f"no form posting to *{action_contains}* on the page")


def wait_for_task(portal: LivePortal, browser: requests.Session, task_id: str) -> dict[str, Any]:
    """Poll the portal's progress JSON until the task is done; returns the last document."""
    last: dict[str, Any] = {}

    def done() -> dict[str, Any] | None:
        response = browser.get(portal.url(f"/tasks/{task_id}/progress"), timeout=30)
        assert response.status_code == 200, response.text[:300]
        last.update(response.json())
        return dict(last) if last["is_done"] else None

    return wait_until(done, TASK_WAIT_SECONDS, lambda: f"task {task_id} still {last.get('status')}")


def task_id_from(response: requests.Response) -> str:
    """The task id a submit redirected to (/tasks/<id>)."""
    assert response.status_code == 302, response.text[:800]
    location = response.headers["Location"]
    assert "/tasks/" in location, location
    return location.rstrip("/").rsplit("/", 1)[1]


@contextmanager
def extra_portal(emulator: Any, instance: Path, **overrides: Any) -> Iterator[LivePortal]:
    """Another live portal (own database) on the session emulator, with config overrides."""
    app = build_migrated_app(
        portal_overrides(
            instance,
            GATEWAY_EMULATOR_MANIFEST=str(emulator.instance_dir / "emulator.json"),
            GLOBUS_CLIENT_ID=None,
            GLOBUS_CLIENT_SECRET=None,
            **overrides,
        )
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    response = emulator.control_post("redirect-uris", {"uri": f"{base_url}/auth/callback"})
    assert response.status_code == 200, response.text
    thread = threading.Thread(target=server.serve_forever, name="extra-portal", daemon=True)
    thread.start()
    try:
        yield LivePortal(app=app, base_url=base_url, emulator=emulator)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


class HangingUpstream:
    """A loopback TCP server that accepts connections and never answers (an upstream that hangs)."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._connections: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hanging-upstream", daemon=True)

    @property
    def url(self) -> str:
        """Base URL to give the SDK (as a Transfer service URL)."""
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/transfer/"

    def _accept(self) -> None:
        self._socket.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            # Hold the connection open without a byte of answer until the test ends.
            self._connections.append(connection)

    def __enter__(self) -> HangingUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for connection in self._connections:
            connection.close()
        self._socket.close()


class ForwardingProxy:
    """A loopback HTTP proxy to the emulator's Transfer service that can swallow one answer.

    `drop_next_answer_to(path_suffix)` makes the next matching request reach Transfer (so it takes
    effect) while the caller never hears back: exactly a timeout after the upstream acted.
    """

    def __init__(self, upstream_base: str) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.upstream_base = upstream_base.rstrip("/")
        self._drop_suffix: str | None = None
        self._release = threading.Event()
        self.dropped = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = requests.request(
                    self.command,
                    proxy.upstream_base + self.path,
                    data=body,
                    headers=headers,
                    timeout=60,
                    allow_redirects=False,
                )
                if proxy._drop_suffix and self.path.split("?")[0].endswith(proxy._drop_suffix):
                    proxy._drop_suffix = None
                    proxy.dropped += 1
                    proxy._release.wait(timeout=60)
                    self.close_connection = True
                    return
                self.send_response(upstream.status_code)
                for name, value in upstream.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="forwarding-proxy", daemon=True)

    @property
    def url(self) -> str:
        """Base URL to give the SDK as the Transfer service URL."""
        return f"http://127.0.0.1:{self._server.server_port}/"

    def drop_next_answer_to(self, path_suffix: str) -> None:
        """Forward the next request ending in `path_suffix`, then never answer it."""
        self._drop_suffix = path_suffix

    def __enter__(self) -> ForwardingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class AnsweringProxy:
    """A loopback proxy to the emulator's Transfer that answers chosen paths itself.

    `answer(suffix, status, code, message)` makes requests ending in `suffix` get that
    Transfer-shaped error instead (what real storage or a failing Transfer would send).
    """

    def __init__(self, upstream_base: str) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.upstream_base = upstream_base.rstrip("/")
        self.canned: dict[str, tuple[int, bytes, str]] = {}

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
                for suffix, (status, content, content_type) in proxy.canned.items():
                    if self.path.split("?")[0].endswith(suffix):
                        return self._reply(status, {"Content-Type": content_type}, content)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = requests.request(
                    self.command,
                    proxy.upstream_base + self.path,
                    data=body,
                    headers=headers,
                    timeout=60,
                    allow_redirects=False,
                )
                kept = {
                    name: value
                    for name, value in upstream.headers.items()
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")
                }
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
        self.answer_raw(
            path_suffix, status, json.dumps({"code": code, "message": message, "request_id": "proxy"}).encode()
        )

    def answer_raw(self, path_suffix: str, status: int, body: bytes, content_type: str = "application/json") -> None:
        """Answer requests ending in `path_suffix` with exactly this body (e.g. one that is not JSON)."""
        self.canned[path_suffix] = (status, body, content_type)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
