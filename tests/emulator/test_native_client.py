"""The seeded native app (public client, no secret), as Globus Auth treats one: the real SDK's
NativeAppAuthClient logs in with PKCE and refreshes with its client_id alone; without PKCE the
code is refused, and it cannot use the confidential grants or introspection."""

from __future__ import annotations

from urllib.parse import urlencode

import globus_sdk
import pytest
import requests

from tests.emulator.helpers import run_browser

CALLBACK = "http://127.0.0.1:9/native-test/"


@pytest.fixture(scope="module")
def native(emulator):
    added = emulator.control_post("redirect-uris", {"uri": CALLBACK, "client": "native"})
    assert added.status_code == 200, added.text
    client = emulator.client("native")
    assert client["client_secret"] is None
    return client


def test_native_login_with_pkce_and_refresh(emulator, native):
    client = globus_sdk.NativeAppAuthClient(native["client_id"], base_url=emulator.services["auth"])
    scope = emulator.client("portal")["api_scope"]
    client.oauth2_start_flow(requested_scopes=scope, redirect_uri=CALLBACK, refresh_tokens=True)
    url = client.oauth2_get_authorize_url()
    assert "code_challenge=" in url
    code = run_browser(emulator, url, "alice").params["code"]
    tokens = client.oauth2_exchange_code_for_tokens(code)
    token = tokens.by_resource_server[emulator.client("portal")["client_id"]]
    assert token["scope"] == scope and token["refresh_token"]
    refreshed = client.oauth2_refresh_token(token["refresh_token"])
    assert refreshed.by_resource_server[emulator.client("portal")["client_id"]]["access_token"] != token["access_token"]


def test_native_code_without_pkce_is_refused(emulator, native):
    query = {
        "client_id": native["client_id"],
        "redirect_uri": CALLBACK,
        "scope": emulator.client("portal")["api_scope"],
        "response_type": "code",
        "state": "no-pkce",
    }
    code = run_browser(emulator, f"{emulator.services['auth']}v2/oauth2/authorize?{urlencode(query)}", "alice").params[
        "code"
    ]
    answer = requests.post(
        f"{emulator.services['auth']}v2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": native["client_id"],
        },
        timeout=30,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_native_app_cannot_use_confidential_grants(emulator, native):
    auth = emulator.services["auth"]
    credentials = requests.post(
        f"{auth}v2/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "openid", "client_id": native["client_id"]},
        timeout=30,
    )
    assert credentials.status_code == 401 and credentials.json()["error"] == "invalid_client"
    introspect = requests.post(
        f"{auth}v2/oauth2/token/introspect", data={"token": "x", "client_id": native["client_id"]}, timeout=30
    )
    assert introspect.status_code == 401
    # Nor can anyone pass for it with a made-up secret.
    guessed = requests.post(
        f"{auth}v2/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "openid"},
        auth=(native["client_id"], "anything"),
        timeout=30,
    )
    assert guessed.status_code == 401
