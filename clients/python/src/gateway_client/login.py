"""Logging in once and running unattended later: the cached login, like Agave's restore().

`gateway-client login` runs Globus' native-app flow (PKCE; a local redirect, or a code to copy
and paste) for the gateway's API scope, read from the gateway's OpenAPI document, and keeps the
refresh token: in the OS keyring when the `keyring` package is installed (and
GATEWAY_CLIENT_NO_KEYRING is unset), otherwise in a file only its owner can read (0600).
`restore` builds a renewing authorizer from it; refreshed tokens are written back.

CI pipelines: GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET name a confidential client. With a
cached login for that client its refresh token is used; without one the client acts as itself
(client credentials for the API scope).
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import globus_sdk
import requests

from gateway_client.client import api_base

KEYRING_SERVICE = "gateway-client"


class LoginRequired(Exception):
    """No usable cached login: run `gateway-client login` first."""


def config_dir() -> Path:
    """Where cached logins live (GATEWAY_CLIENT_CONFIG_DIR, else ~/.config/gateway-client)."""
    configured = os.environ.get("GATEWAY_CLIENT_CONFIG_DIR")
    return Path(configured) if configured else Path.home() / ".config" / "gateway-client"


def _cache_path(profile: str) -> Path:
    return config_dir() / f"{profile}.json"


def _keyring() -> Any:
    if os.environ.get("GATEWAY_CLIENT_NO_KEYRING"):
        return None
    try:
        import keyring  # optional extra
    except ImportError:
        return None
    return keyring


def discover(base_url: str) -> dict[str, str]:
    """The API scope and Globus Auth URL the gateway publishes in its OpenAPI document."""
    document = requests.get(api_base(base_url) + "/openapi.json", timeout=30).json()
    scheme = document["components"]["securitySchemes"]["globus_bearer"]
    return {
        "scope": scheme["x-globus-scope"],
        "auth_url": scheme.get("x-globus-auth-url") or "https://auth.globus.org/",
    }


def save_login(profile: str, base_url: str, client_id: str, token: dict[str, Any], *, confidential: bool) -> Path:
    """Keep a login (the gateway-scope token dict of an OAuth token response) for later restore()."""
    record = {
        "base_url": api_base(base_url),
        "client_id": client_id,
        "confidential": confidential,
        "resource_server": token["resource_server"],
        "access_token": token["access_token"],
        "expires_at": int(token["expires_at_seconds"]),
    }
    ring = _keyring()
    if ring is not None and token.get("refresh_token"):
        ring.set_password(KEYRING_SERVICE, profile, token["refresh_token"])
    else:
        record["refresh_token"] = token.get("refresh_token")
    path = _cache_path(profile)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created 0600 before anything is written, so the token is never readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(record, handle)
    os.chmod(path, 0o600)
    return path


def load_login(profile: str) -> dict[str, Any] | None:
    """The cached login of `profile`, or None."""
    path = _cache_path(profile)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    if not record.get("refresh_token"):
        ring = _keyring()
        record["refresh_token"] = ring.get_password(KEYRING_SERVICE, profile) if ring is not None else None
    return record


def forget_login(profile: str) -> bool:
    """Remove the cached login (revoking its tokens is `logout`'s job); True if there was one."""
    ring = _keyring()
    if ring is not None and ring.get_password(KEYRING_SERVICE, profile) is not None:
        ring.delete_password(KEYRING_SERVICE, profile)
    try:
        _cache_path(profile).unlink()
    except FileNotFoundError:
        return False
    return True


def _login_client(client_id: str, confidential: bool, auth_url: str | None) -> globus_sdk.AuthLoginClient:
    if confidential:
        secret = os.environ.get("GATEWAY_CLIENT_SECRET")
        if not secret or os.environ.get("GATEWAY_CLIENT_ID") != client_id:
            raise LoginRequired(
                f"this login belongs to confidential client {client_id}: set GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET"
            )
        return globus_sdk.ConfidentialAppAuthClient(client_id, secret, base_url=auth_url)
    return globus_sdk.NativeAppAuthClient(client_id, base_url=auth_url)


def restored_authorizer(
    base_url: str | None, *, profile: str = "default"
) -> tuple[globus_sdk.authorizers.GlobusAuthorizer, str]:
    """A renewing authorizer from the cached login (or client credentials from the environment), and the base URL."""
    record = load_login(profile)
    env_id, env_secret = os.environ.get("GATEWAY_CLIENT_ID"), os.environ.get("GATEWAY_CLIENT_SECRET")
    if record is None:
        if env_id and env_secret and base_url:
            found = discover(base_url)
            client = globus_sdk.ConfidentialAppAuthClient(env_id, env_secret, base_url=found["auth_url"])
            return globus_sdk.ClientCredentialsAuthorizer(client, found["scope"]), api_base(base_url)
        raise LoginRequired("no cached login: run `gateway-client login` (or set GATEWAY_CLIENT_ID/SECRET)")
    auth_url = discover(record["base_url"])["auth_url"]
    client = _login_client(record["client_id"], record["confidential"], auth_url)

    def keep(response: globus_sdk.OAuthTokenResponse) -> None:
        token = response.by_resource_server[record["resource_server"]]
        token.setdefault("refresh_token", record.get("refresh_token"))
        save_login(profile, record["base_url"], record["client_id"], token, confidential=record["confidential"])

    if not record.get("refresh_token"):
        return globus_sdk.AccessTokenAuthorizer(record["access_token"]), record["base_url"]
    authorizer = globus_sdk.RefreshTokenAuthorizer(
        record["refresh_token"],
        client,
        access_token=record["access_token"],
        expires_at=record["expires_at"],
        on_refresh=keep,
    )
    return authorizer, record["base_url"]


class _CodeCatcher(http.server.BaseHTTPRequestHandler):
    """The local redirect target: takes ?code= once and tells the browser it can close."""

    result: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        query = parse_qs(urlsplit(self.path).query)
        type(self).result = {key: values[0] for key, values in query.items()}
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"Logged in to the Science Gateway API; you can close this tab.\n")

    def log_message(self, *args: Any) -> None:  # keep the terminal quiet
        return


def native_login(
    base_url: str,
    client_id: str,
    *,
    profile: str = "default",
    local_server: bool = True,
    port: int = 0,
    prompt: Any = input,
    show: Any = print,
    open_browser: Any = webbrowser.open,
) -> Path:
    """Log in as a Globus native app (PKCE) for the gateway's scope and cache the refresh token."""
    found = discover(base_url)
    client = globus_sdk.NativeAppAuthClient(client_id, base_url=found["auth_url"])
    server = None
    if local_server:
        server = http.server.HTTPServer(("127.0.0.1", port), _CodeCatcher)
        redirect_uri = f"http://127.0.0.1:{server.server_port}/"
        client.oauth2_start_flow(requested_scopes=found["scope"], redirect_uri=redirect_uri, refresh_tokens=True)
    else:
        client.oauth2_start_flow(requested_scopes=found["scope"], refresh_tokens=True)
    url = client.oauth2_get_authorize_url()
    show(f"Log in at:\n  {url}")
    if server is not None:
        # Listening before the browser opens: the redirect must find the server answering.
        thread = threading.Thread(target=server.handle_request, daemon=True)
        thread.start()
        open_browser(url)
        thread.join()
        server.server_close()
        code = _CodeCatcher.result.get("code")
        if not code:
            raise LoginRequired("the login did not return a code: " + str(_CodeCatcher.result.get("error", "")))
    else:
        code = prompt("Paste the code Globus shows after you log in: ").strip()
    tokens = client.oauth2_exchange_code_for_tokens(code)
    resource_server = found["scope"].rstrip("/").split("/")[-2]
    return save_login(profile, base_url, client_id, tokens.by_resource_server[resource_server], confidential=False)
