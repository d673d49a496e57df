"""Bearer negatives against the live gateway: every refusal is 401/403 with WWW-Authenticate,
the JSON error shape, and nothing changed upstream."""

from __future__ import annotations

import uuid

import pytest
import requests

from app.services.api_auth import BearerRejected, api_scope, check_claims
from tests.api.conftest import api_session, partner_client, partner_tokens
from tests.emulator.transfer_clients import collection_id
from tests.users import logged_in

LAB_ARCHIVE = collection_id("lab-archive")


def _refused(response: requests.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert body["error"] == error
    assert set(body) == {"error", "message", "request_id", "details"}
    assert body["request_id"] == response.headers["X-Request-ID"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="science-gateway"')
    if error in ("invalid_token", "invalid_request", "insufficient_scope"):
        assert f'error="{error}"' in challenge
    assert "Set-Cookie" not in response.headers
    return body


def _folder_names(api, path: str = "/~/") -> set[str]:
    listing = api.get(f"/collections/{LAB_ARCHIVE}/folders", params={"path": path, "limit": 1000})
    assert listing.status_code == 200, listing.text[:500]
    return {entry["name"] for entry in listing.json()["data"]}


def test_missing_header_is_401_without_an_error_code(api_portal):
    response = requests.get(api_portal.url("/api/v1/me"), timeout=30)
    _refused(response, 401, "missing_token")
    assert "error=" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "header",
    ["Basic YWxpY2U6cGFzcw==", "Bearer", "Bearer two words", "Bearer tok\u00e9n", "Bearer " + "a" * 3000],
)
def test_malformed_headers_are_refused(api_portal, header):
    response = requests.get(api_portal.url("/api/v1/me"), headers={"Authorization": header.encode("utf-8")}, timeout=30)
    assert response.status_code == 401, response.text[:300]
    assert response.json()["error"] in ("invalid_request", "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_unknown_token_is_401_and_a_post_with_it_changes_nothing(api_portal, alice_api):
    name = f"never-{uuid.uuid4().hex[:8]}"
    stranger = api_session(api_portal, "not-a-token-globus-ever-issued")
    _refused(
        stranger.post(f"/collections/{LAB_ARCHIVE}/folders", json={"parent": "/~/", "name": name}), 401, "invalid_token"
    )
    assert name not in _folder_names(alice_api)


def test_expired_token_is_refused_even_while_its_introspection_is_cached(api_portal, alice_api, api_clock):
    assert alice_api.get("/me").status_code == 200
    api_clock(3600 + 10)  # past the emulator's one-hour lifetime plus the leeway
    _refused(alice_api.get("/me"), 401, "invalid_token")


def test_revoked_token_works_until_the_cache_ends_then_is_refused(api_portal, emulator, api_clock):
    tokens = partner_tokens(emulator, "bob")
    token = tokens.by_resource_server[emulator.client("portal")["client_id"]]["access_token"]
    api = api_session(api_portal, token)
    assert api.get("/me").status_code == 200
    partner_client(emulator).oauth2_revoke_token(token)
    # Within the 30 s introspection cache the gateway has not asked again.
    api_clock(20)
    assert api.get("/me").status_code == 200
    api_clock(11)
    _refused(api.get("/me"), 401, "invalid_token")


def test_token_for_another_resource_server_is_refused(api_portal, emulator):
    # The partner's own Transfer token: a real, active token, but not addressed to this gateway.
    tokens = partner_tokens(emulator, "alice", scopes="urn:globus:auth:scope:transfer.api.globus.org:all")
    transfer_token = tokens.by_resource_server["transfer.api.globus.org"]["access_token"]
    api = api_session(api_portal, transfer_token)
    _refused(api.get("/me"), 401, "invalid_token")
    _refused(api.post("/tasks/" + str(uuid.uuid4()) + "/cancel"), 401, "invalid_token")


def test_client_credentials_token_of_another_client_for_transfer_is_refused(api_portal, emulator):
    automation = emulator.client("automation")
    import globus_sdk

    client = globus_sdk.ConfidentialAppAuthClient(
        automation["client_id"], automation["client_secret"], base_url=emulator.services["auth"]
    )
    token = client.oauth2_client_credentials_tokens(
        requested_scopes="urn:globus:auth:scope:transfer.api.globus.org:all"
    ).by_resource_server["transfer.api.globus.org"]["access_token"]
    _refused(api_session(api_portal, token).get("/me"), 401, "invalid_token")


def test_session_cookie_instead_of_a_token_is_refused_and_opens_no_session(api_portal):
    browser = logged_in(api_portal, "alice")
    assert browser.get(api_portal.url("/"), timeout=30).status_code == 200  # the cookie works on pages
    name = f"cookie-{uuid.uuid4().hex[:8]}"
    response = browser.post(
        api_portal.url(f"/api/v1/collections/{LAB_ARCHIVE}/folders"), json={"parent": "/~/", "name": name}, timeout=30
    )
    _refused(response, 401, "missing_token")
    _refused(browser.get(api_portal.url("/api/v1/me"), timeout=30), 401, "missing_token")


CLAIMS = {
    "active": True,
    "scope": "https://auth.globus.org/scopes/gw/gateway_api",
    "aud": ["gw", "partner"],
    "sub": "identity",
    "exp": 2_000,
    "nbf": 1_000,
}


@pytest.mark.parametrize(
    ("change", "now", "status", "error"),
    [
        ({"active": False}, 1_500, 401, "invalid_token"),
        ({}, 2_006, 401, "invalid_token"),  # expired beyond the 5 s leeway
        ({}, 994, 401, "invalid_token"),  # not valid yet beyond the leeway
        ({"aud": ["someone-else"]}, 1_500, 401, "invalid_token"),
        ({"aud": "gw"}, None, None, None),  # a single audience string is accepted
        ({"scope": "urn:globus:auth:scope:transfer.api.globus.org:all"}, 1_500, 403, "insufficient_scope"),
        ({"sub": None}, 1_500, 401, "invalid_token"),
        ({}, 2_004, None, None),  # within the leeway
        ({}, 996, None, None),
    ],
)
def test_claim_checks(change, now, status, error):
    claims = {**CLAIMS, **change}
    if status is None:
        check_claims(claims, client_id="gw", required_scope=api_scope("gw"), now=now or 1_500)
        return
    with pytest.raises(BearerRejected) as refused:
        check_claims(claims, client_id="gw", required_scope=api_scope("gw"), now=now)
    assert (refused.value.status_code, refused.value.code) == (status, error)
    if error == "insufficient_scope":
        assert 'scope="https://auth.globus.org/scopes/gw/gateway_api"' in refused.value.www_authenticate("r")


def test_tokens_never_reach_the_log_at_most_their_last_four_characters(api_portal, alice_api, caplog):
    refused_token = "a-refused-token-never-issued-by-globus-x1y2"
    with caplog.at_level("DEBUG"):
        assert alice_api.get("/me").status_code == 200
        assert api_session(api_portal, refused_token).get("/me").status_code == 401
    assert alice_api.token not in caplog.text
    assert refused_token not in caplog.text
    assert "...x1y2 refused: invalid_token" in caplog.text
