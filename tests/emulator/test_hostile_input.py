"""Hostile input (non-ASCII credentials and headers, integers past 64 bits) gets a clear 4xx, never a 500.

Everything goes over real HTTP: raw header bytes through `requests`, Transfer calls through the SDK.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from pathlib import Path

import globus_sdk
import pytest
import requests

from tests.emulator.helpers import page_forms
from tests.emulator.transfer_clients import api_error, transfer_as

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


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "v2/oauth2/token"),
        ("POST", "v2/oauth2/token/introspect"),
        ("POST", "v2/oauth2/token/revoke"),
        ("GET", "v2/api/identities?ids=00000000-0000-0000-0000-000000000000"),
        ("GET", "v2/api/identity_providers"),
    ],
)
def test_auth_client_authentication_refuses_non_ascii_basic_with_401(emulator, method, path):
    url = emulator.services["auth"] + path
    response = requests.request(
        method,
        url,
        headers={"Authorization": NON_ASCII_BASIC},
        data={"grant_type": "client_credentials", "token": "x"},
        timeout=30,
    )
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["status"] == "401"


def test_auth_client_authentication_refuses_a_real_client_with_a_non_ascii_secret(emulator, portal):
    response = requests.post(
        emulator.services["auth"] + "v2/oauth2/token",
        headers={"Authorization": basic_header(portal["client_id"], "sécret")},
        data={"grant_type": "client_credentials"},
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_login_form_with_a_non_ascii_csrf_token_is_refused_as_expired(emulator, portal_login):
    portal = emulator.client("portal")
    portal_login.oauth2_start_flow(portal["redirect_uris"][0], ["openid"], state=secrets.token_urlsafe(8))
    browser = requests.Session()
    page = browser.get(portal_login.oauth2_get_authorize_url(), timeout=30)
    form = page_forms(page.text)[0]
    data = dict(
        form.fields, username="alice@example.edu", password=emulator.user("alice")["password"], csrf_token="jéton"
    )
    response = browser.post(emulator.base_url + form.action, data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert "Form expired" in response.text


# SQLite stores row ids (the markers) as signed 64-bit integers; each of these lies outside that range.
HUGE_MARKERS = [2**63, 2**64, 99999999999999999999999, -(2**64), -1]


@pytest.fixture(scope="module")
def finished_shared_task(emulator) -> str:
    """A finished transfer by alice into cryoem-shared (which carol monitors as an administrator)."""
    laptop, shared = emulator.collection("alice-laptop"), emulator.collection("cryoem-shared")
    name = f"hostile-input/{uuid.uuid4().hex}.txt"
    source = Path(laptop["data_root"]) / name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("hostile input\n")
    alice = transfer_as(emulator, "alice")
    data = globus_sdk.TransferData(laptop["id"], shared["id"], label="hostile input")
    data.add_item(f"/{name}", f"/incoming/{name}")
    task_id = alice.submit_transfer(data)["task_id"]
    assert alice.task_wait(task_id, timeout=60, polling_interval=1)
    return task_id


@pytest.mark.parametrize("marker", HUGE_MARKERS)
@pytest.mark.parametrize("method", ["task_successful_transfers", "task_skipped_errors"])
def test_out_of_range_result_marker_is_invalid_marker_400(emulator, finished_shared_task, method, marker):
    alice = transfer_as(emulator, "alice")
    err = api_error(getattr(alice, method), finished_shared_task, marker=marker)
    assert err.http_status == 400
    assert err.code == "ClientError.BadRequest.InvalidMarker"
    assert str(marker) in err.message


@pytest.mark.parametrize("path", ["successful_transfers", "skipped_errors"])
def test_out_of_range_marker_on_endpoint_manager_results_is_invalid_marker_400(emulator, finished_shared_task, path):
    carol = transfer_as(emulator, "carol")
    err = api_error(
        carol.get, f"/v0.10/endpoint_manager/task/{finished_shared_task}/{path}", query_params={"marker": str(2**64)}
    )
    assert err.http_status == 400
    assert err.code == "ClientError.BadRequest.InvalidMarker"


def test_largest_marker_is_an_empty_last_page(emulator, finished_shared_task):
    page = transfer_as(emulator, "alice").task_successful_transfers(finished_shared_task, marker=2**63 - 1)
    assert page["DATA"] == []
    assert page["marker"] == 2**63 - 1
    assert page["next_marker"] is None
