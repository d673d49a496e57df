"""A small HTTP proxy in front of the emulator that misbehaves on purpose (loopback only).

- `hold_submits`: forward POST /transfer (and /delete) to the emulator, note its answer, then hold
  the response back until released: the caller has sent its submission, Transfer made the task,
  and the caller never hears about it (the moment to kill a worker).
- `throttle_submits=N`: answer the first N submits with 429 Too Many Requests (Retry-After: 1),
  as Transfer does under load, then forward normally.
- `fail_submits=(503, 429, None, ...)`: answer the first submits with these statuses, in order (5xx
  as an overloaded or restarting Transfer sends them; None forwards that one), then forward normally.
Everything else passes through unchanged.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class FaultProxy:
    """Proxy to `upstream` (e.g. the emulator's base URL) on a free loopback port."""

    def __init__(
        self,
        upstream: str,
        *,
        hold_submits: bool = False,
        throttle_submits: int = 0,
        fail_submits: tuple[int | None, ...] = (),
    ):
        self.upstream = upstream.rstrip("/")
        self.failures_left = list(fail_submits)
        self.failed: list[int] = []
        self.hold_submits = hold_submits
        self.throttle_left = throttle_submits
        self.release = threading.Event()
        self.forwarded_submits: list[dict] = []
        self.throttled = 0
        self.submits_seen = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                return

            def do_GET(self):  # noqa: N802 - http.server's naming
                proxy._forward(self)

            def do_POST(self):  # noqa: N802
                proxy._forward(self)

            def do_PUT(self):  # noqa: N802
                proxy._forward(self)

            def do_DELETE(self):  # noqa: N802
                proxy._forward(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self._server.server_port}"

    def url_for(self, upstream_url: str) -> str:
        """The proxy's URL for an upstream URL (same path)."""
        return self.base_url + urlsplit(upstream_url).path

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        is_submit = handler.command == "POST" and handler.path.rstrip("/").endswith(("/transfer", "/delete"))
        if is_submit:
            with self._lock:
                self.submits_seen += 1
                planned = bool(self.failures_left)
                failure = self.failures_left.pop(0) if planned else None
                if failure is not None:
                    self.failed.append(failure)
                throttle = not planned and self.throttle_left > 0
                if throttle:
                    self.throttle_left -= 1
                    self.throttled += 1
            if failure is not None:
                self._answer(
                    handler,
                    failure,
                    b'{"code":"ServiceUnavailable","message":"try again later","request_id":"proxy"}',
                    {"Content-Type": "application/json", **({"Retry-After": "1"} if failure == 429 else {})},
                )
                return
            if throttle:
                self._answer(
                    handler,
                    429,
                    b'{"code":"TooManyRequests","message":"slow down","request_id":"proxy"}',
                    {"Content-Type": "application/json", "Retry-After": "1"},
                )
                return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        upstream = requests.request(
            handler.command, self.upstream + handler.path, headers=headers, data=body, timeout=60
        )
        if is_submit:
            with self._lock:
                self.forwarded_submits.append(upstream.json())
            if self.hold_submits:
                # The caller waits for an answer that comes only when released (or never).
                self.release.wait(timeout=120)
        self._answer(
            handler,
            upstream.status_code,
            upstream.content,
            {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
        )

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict) -> None:
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The caller is gone (killed while we held its answer): nothing to deliver.
            handler.close_connection = True
