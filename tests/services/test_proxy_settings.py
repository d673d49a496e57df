"""Upstream calls honour HTTP(S)_PROXY / NO_PROXY, read once when the process starts
(app/services/globus/clients.py EnvironmentProxies), through the real SDK over loopback."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from app.services.globus import clients
from app.services.globus.settings import GlobusSettings


class RecordingProxy:
    """A forward proxy on loopback that records each absolute request line and answers itself."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests.append(self.path)
                body = json.dumps({"issuer": "answered-by-the-proxy"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # keep test output quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def recording_proxy() -> Iterator[RecordingProxy]:
    proxy = RecordingProxy()
    proxy.thread.start()
    yield proxy
    proxy.server.shutdown()
    proxy.server.server_close()


def _settings(emulator) -> GlobusSettings:
    portal = emulator.client("portal")
    return GlobusSettings(
        client_id=portal["client_id"], client_secret=portal["client_secret"], auth_url=emulator.services["auth"]
    )


def _discovery_issuer(emulator, proxies: clients.EnvironmentProxies, monkeypatch) -> str:
    monkeypatch.setattr(clients, "PROCESS_PROXIES", proxies)
    login = clients.login_client(_settings(emulator))  # a new transport: takes the process's proxies
    return login.get_openid_configuration()["issuer"]


def test_http_proxy_carries_upstream_calls(emulator, recording_proxy, monkeypatch):
    proxies = clients.EnvironmentProxies({"HTTP_PROXY": recording_proxy.url})
    assert _discovery_issuer(emulator, proxies, monkeypatch) == "answered-by-the-proxy"
    assert len(recording_proxy.requests) == 1
    sent = urlsplit(recording_proxy.requests[0])
    assert sent.scheme == "http" and sent.path.endswith("/.well-known/openid-configuration")
    assert f"{sent.scheme}://{sent.netloc}" == "{0.scheme}://{0.netloc}".format(urlsplit(emulator.services["auth"]))


def test_no_proxy_sends_matching_hosts_directly(emulator, recording_proxy, monkeypatch):
    proxies = clients.EnvironmentProxies({"http_proxy": recording_proxy.url, "NO_PROXY": "localhost,127.0.0.0/8"})
    issuer = _discovery_issuer(emulator, proxies, monkeypatch)
    assert issuer != "answered-by-the-proxy" and recording_proxy.requests == []


def test_the_environment_is_read_once(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    proxies = clients.EnvironmentProxies(os.environ)
    monkeypatch.setenv("HTTPS_PROXY", "http://changed.example:1")
    monkeypatch.delenv("NO_PROXY")
    # What the process saw when it read them counts, until it restarts.
    assert proxies.for_url("https://transfer.api.globus.org/v0.10/task_list") == {"https": "http://proxy.example:3128"}
    assert proxies.for_url("https://files.internal.example/") == {}
    # Lower-case names win over upper-case ones, as in requests and urllib.
    mixed = clients.EnvironmentProxies({"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1"})
    assert mixed.for_url("https://auth.globus.org/") == {"https": "http://lower:1"}
    assert clients.EnvironmentProxies({}).for_url("https://auth.globus.org/") == {}
