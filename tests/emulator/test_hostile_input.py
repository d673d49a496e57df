"""Hostile input (non-ASCII credentials and headers, integers past 64 bits) gets a clear 4xx, never a 500.

Everything goes over real HTTP: raw header bytes through `requests`, Transfer calls through the SDK.
"""
from __future__ import annotations

import base64
import secrets

import pytest
import requests

from tests.emulator.helpers import page_forms

# A header value is bytes on the wire; Werkzeug reads it as latin-1, so these arrive as non-ASCII text.
NON_ASCII_BASIC = "Basic é:ü".encode()
UTF8_BASIC = b"Basic " + base64.b64encode("é:ü".encode())


def basic_header(username: str, password: str) -> bytes:
    """A well-formed Basic header of UTF-8 credentials."""
    return b"Basic " + base64.b64encode(f"{username}:{password}".encode())


@pytest.mark.parametrize("header", [NON_ASCII_BASIC, UTF8_BASIC], ids=["raw-non-ascii", "utf8-base64"])
def test_control_api_refuses_non_ascii_basic_credentials_with_401(emulator, header):
    response = requests.get(f"{emulator.base_url}/_emulator/settings", headers={"Authorization": header}, timeout=30)
    assert response.status_code == 401
    assert response.json()["code"] == "AuthenticationFailed"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_control_api_refuses_the_right_username_with_a_non_ascii_password(emulator):
    username = emulator.manifest["control"]["username"]
    header = basic_header(username, "pässwörd")
    response = requests.get(f"{emulator.base_url}/_emulator/settings", headers={"Authorization": header}, timeout=30)
    assert response.status_code == 401
    assert response.json()["code"] == "AuthenticationFailed"


@pytest.mark.parametrize("method,path", [
    ("POST", "v2/oauth2/token"),
    ("POST", "v2/oauth2/token/introspect"),
    ("POST", "v2/oauth2/token/revoke"),
    ("GET", "v2/api/identities?ids=00000000-0000-0000-0000-000000000000"),
    ("GET", "v2/api/identity_providers"),
])
def test_auth_client_authentication_refuses_non_ascii_basic_with_401(emulator, method, path):
    url = emulator.services["auth"] + path
    response = requests.request(method, url, headers={"Authorization": NON_ASCII_BASIC},
                                data={"grant_type": "client_credentials", "token": "x"}, timeout=30)
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["status"] == "401"


def test_auth_client_authentication_refuses_a_real_client_with_a_non_ascii_secret(emulator, portal):
    response = requests.post(emulator.services["auth"] + "v2/oauth2/token",
                             headers={"Authorization": basic_header(portal["client_id"], "sécret")},
                             data={"grant_type": "client_credentials"}, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_login_form_with_a_non_ascii_csrf_token_is_refused_as_expired(emulator, portal_login):
    portal = emulator.client("portal")
    portal_login.oauth2_start_flow(portal["redirect_uris"][0], ["openid"], state=secrets.token_urlsafe(8))
    browser = requests.Session()
    page = browser.get(portal_login.oauth2_get_authorize_url(), timeout=30)
    form = page_forms(page.text)[0]
    data = dict(form.fields, username="alice@example.edu", password=emulator.user("alice")["password"],
                csrf_token="jéton")
    response = browser.post(emulator.base_url + form.action, data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert "Form expired" in response.text

