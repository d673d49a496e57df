"""The seeded partner-portal client: its own redirect URIs (control API), a login for the portal's
gateway_api scope, and the portal (the scope's resource server) introspecting the token and
getting dependent Transfer and Search tokens for it — all through the real globus-sdk."""

from __future__ import annotations

import globus_sdk
import pytest

from tests.emulator.helpers import run_browser

CALLBACK = "http://127.0.0.1:9/partner-test/callback"


@pytest.fixture(scope="module")
def partner_login(emulator):
    added = emulator.control_post("redirect-uris", {"uri": CALLBACK, "client": "partner"})
    assert added.status_code == 200, added.text
    assert CALLBACK in added.json()["redirect_uris"]
    assert added.json()["client_id"] == emulator.client("partner")["client_id"]
    partner = emulator.client("partner")
    client = globus_sdk.ConfidentialAppAuthClient(
        partner["client_id"], partner["client_secret"], base_url=emulator.services["auth"]
    )
    scope = emulator.client("portal")["api_scope"]
    client.oauth2_start_flow(CALLBACK, requested_scopes=scope, refresh_tokens=True)
    result = run_browser(emulator, client.oauth2_get_authorize_url(), "alice")
    return client.oauth2_exchange_code_for_tokens(result.params["code"])


def _portal(emulator) -> globus_sdk.ConfidentialAppAuthClient:
    portal = emulator.client("portal")
    return globus_sdk.ConfidentialAppAuthClient(
        portal["client_id"], portal["client_secret"], base_url=emulator.services["auth"]
    )


def test_redirect_uri_for_an_unknown_client_is_refused(emulator):
    response = emulator.control_post("redirect-uris", {"uri": CALLBACK, "client": "nobody"})
    assert response.status_code == 400
    assert "partner" in response.json()["message"]


def test_partner_token_is_for_the_portal_resource_server(emulator, partner_login):
    portal_id = emulator.client("portal")["client_id"]
    token = partner_login.by_resource_server[portal_id]
    assert token["scope"] == emulator.client("portal")["api_scope"]
    assert token["refresh_token"]


def test_portal_introspects_the_partner_token(emulator, partner_login):
    portal_id = emulator.client("portal")["client_id"]
    token = partner_login.by_resource_server[portal_id]["access_token"]
    info = _portal(emulator).oauth2_token_introspect(token, include="identity_set,session_info")
    assert info["active"] is True
    assert info["client_id"] == emulator.client("partner")["client_id"]
    assert portal_id in info["aud"]
    assert info["sub"] == emulator.user("alice")["identity_id"]
    assert emulator.user("alice")["identity_id"] in info["identity_set"]
    assert info["session_info"]["authentications"]


def test_portal_gets_dependent_transfer_and_search_tokens(emulator, partner_login):
    portal_id = emulator.client("portal")["client_id"]
    token = partner_login.by_resource_server[portal_id]["access_token"]
    dependent = _portal(emulator).oauth2_get_dependent_tokens(token).by_resource_server
    assert set(dependent) == {"transfer.api.globus.org", "search.api.globus.org"}
    transfer = globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(dependent["transfer.api.globus.org"]["access_token"]),
        base_url=emulator.services["transfer"],
    )
    assert transfer.task_list(limit=1)["DATA"] is not None


def test_only_the_resource_server_may_swap_the_token(emulator, partner_login):
    portal_id = emulator.client("portal")["client_id"]
    token = partner_login.by_resource_server[portal_id]["access_token"]
    partner = emulator.client("partner")
    other = globus_sdk.ConfidentialAppAuthClient(
        partner["client_id"], partner["client_secret"], base_url=emulator.services["auth"]
    )
    with pytest.raises(globus_sdk.AuthAPIError) as refused:
        other.oauth2_get_dependent_tokens(token)
    assert refused.value.http_status == 400
