"""Fixtures of the JSON API tests: a live gateway for the API, partner-portal logins, API sessions.

`api_portal` is the gateway on a real port (same emulator as the rest of the suite) with rate
limits raised for the fuzz; `partner_login(user)` logs a seeded user in at the emulator through
the partner portal's client, asking for the gateway's `gateway_api` scope, and returns its tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import globus_sdk
import pytest
import requests
from werkzeug.serving import make_server

from app.services import api_caches
from tests.emulator.helpers import run_browser
from tests.portal_fixtures import LivePortal, build_migrated_app, drop_isolated_schema, portal_overrides

PARTNER_CALLBACK = "http://127.0.0.1:9/partner/callback"


@pytest.fixture(scope="session")
def api_portal(emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """The gateway on a free port, pointed at the session emulator, rate limits high enough for the fuzz."""
    instance = tmp_path_factory.mktemp("api-portal") / "instance"
    app = build_migrated_app(
        portal_overrides(
            instance,
            GATEWAY_EMULATOR_MANIFEST=str(emulator.instance_dir / "emulator.json"),
            GLOBUS_CLIENT_ID=None,
            GLOBUS_CLIENT_SECRET=None,
            API_RATE_LIMIT_PER_IDENTITY="100000 per minute",
            API_RATE_LIMIT_PER_CLIENT="100000 per minute",
        )
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    for uri, client in ((f"{base_url}/auth/callback", "portal"), (PARTNER_CALLBACK, "partner")):
        response = emulator.control_post("redirect-uris", {"uri": uri, "client": client})
        assert response.status_code == 200, response.text
    thread = threading.Thread(target=server.serve_forever, name="api-portal", daemon=True)
    thread.start()
    yield LivePortal(app=app, base_url=base_url, emulator=emulator)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    drop_isolated_schema(app.config["SQLALCHEMY_DATABASE_URI"])


def api_scope(emulator) -> str:
    """The gateway's API scope in this emulator."""
    return emulator.client("portal")["api_scope"]


def partner_client(emulator) -> globus_sdk.ConfidentialAppAuthClient:
    """The partner portal's own confidential client."""
    partner = emulator.client("partner")
    return globus_sdk.ConfidentialAppAuthClient(
        partner["client_id"], partner["client_secret"], base_url=emulator.services["auth"]
    )


def partner_tokens(emulator, user: str, scopes: str | None = None) -> globus_sdk.OAuthTokenResponse:
    """A user's tokens from a login at the partner portal (default: the gateway's API scope)."""
    client = partner_client(emulator)
    client.oauth2_start_flow(PARTNER_CALLBACK, requested_scopes=scopes or api_scope(emulator), refresh_tokens=True)
    result = run_browser(emulator, client.oauth2_get_authorize_url(), user)
    return client.oauth2_exchange_code_for_tokens(result.params["code"])


@dataclass
class ApiSession:
    """A requests.Session calling the gateway's API with one bearer token."""

    portal: LivePortal
    token: str
    http: requests.Session

    def url(self, path: str) -> str:
        """Absolute URL of an API path ("/me" → .../api/v1/me)."""
        return self.portal.url("/api/v1/" + path.lstrip("/"))

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url(path), timeout=60, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url(path), timeout=60, **kwargs)


def api_session(portal: LivePortal, token: str) -> ApiSession:
    """An ApiSession with `token` as its bearer."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    return ApiSession(portal, token, http)


@pytest.fixture(scope="module")
def alice_api_token(emulator) -> str:
    """Alice's access token for the gateway API, from a partner-portal login."""
    return partner_tokens(emulator, "alice").by_resource_server[emulator.client("portal")["client_id"]]["access_token"]


@pytest.fixture
def alice_api(api_portal, alice_api_token) -> ApiSession:
    """Alice calling the gateway API."""
    return api_session(api_portal, alice_api_token)


@pytest.fixture
def api_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Move the API's clock (caches and token checks) forward by some seconds; no sleeping."""
    shift = {"seconds": 0.0}
    real = api_caches.clock
    monkeypatch.setattr(api_caches, "clock", lambda: real() + shift["seconds"])

    def advance(seconds: float) -> None:
        shift["seconds"] += seconds

    return advance


@pytest.fixture(autouse=True)
def _fresh_api_caches() -> Iterator[None]:
    """Each test starts with empty introspection and dependent-token caches."""
    api_caches.introspections.clear()
    api_caches.dependent_tokens.clear()
    yield
    api_caches.introspections.clear()
    api_caches.dependent_tokens.clear()
