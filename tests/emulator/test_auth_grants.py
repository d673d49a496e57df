"""Token grants other than the code exchange: refresh, client_credentials, dependent tokens."""

from __future__ import annotations

import globus_sdk
import pytest

from tests.emulator.helpers import login_user_response, login_user_tokens

TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"
SEARCH = "urn:globus:auth:scope:search.api.globus.org:all"


def test_wrong_client_secret_is_401_invalid_client(emulator, portal):
    login = globus_sdk.ConfidentialAppAuthClient(
        portal["client_id"], "not-the-secret", base_url=emulator.services["auth"]
    )
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        login.oauth2_client_credentials_tokens(TRANSFER)
    assert caught.value.http_status == 401
    assert caught.value.code == "invalid_client"
    assert caught.value.raw_json["error"] == "invalid_client"


def test_unsupported_grant_type(portal_login):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        portal_login.oauth2_token({"grant_type": "password", "username": "alice", "password": "x"})
    assert caught.value.code == "unsupported_grant_type"


def test_refresh_returns_a_new_access_token_and_echoes_the_refresh_token(alice_login, portal_login):
    transfer = alice_login.by_resource_server["transfer.api.globus.org"]
    refreshed = portal_login.oauth2_refresh_token(transfer["refresh_token"])
    assert refreshed["refresh_token"] == transfer["refresh_token"]
    assert refreshed["access_token"] != transfer["access_token"]
    assert refreshed["resource_server"] == "transfer.api.globus.org"
    assert refreshed["other_tokens"] == []
    assert portal_login.oauth2_token_introspect(refreshed["access_token"])["active"] is True


def test_refresh_token_of_another_client_is_refused(alice_login, automation_login):
    refresh = alice_login.by_resource_server["transfer.api.globus.org"]["refresh_token"]
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        automation_login.oauth2_refresh_token(refresh)
    assert caught.value.code == "invalid_grant"


def test_refresh_with_an_access_token_is_refused(alice_login, portal_login):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        portal_login.oauth2_refresh_token(alice_login.by_resource_server["transfer.api.globus.org"]["access_token"])
    assert caught.value.code == "invalid_grant"


def test_client_credentials_token_acts_as_the_client(emulator, automation_login):
    tokens = automation_login.oauth2_client_credentials_tokens([TRANSFER, SEARCH])
    assert set(tokens.by_resource_server) == {"transfer.api.globus.org", "search.api.globus.org"}
    info = automation_login.oauth2_token_introspect(
        tokens.by_resource_server["transfer.api.globus.org"]["access_token"]
    )
    client_id = emulator.client("automation")["client_id"]
    assert info["sub"] == client_id
    assert info["username"] == f"{client_id}@clients.auth.globus.org"
    assert "refresh_token" not in tokens.data


def test_client_credentials_needs_a_scope(automation_login):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        automation_login.oauth2_token({"grant_type": "client_credentials"})
    assert caught.value.code == "invalid_scope"


def test_unknown_scope_is_400_invalid_scope(automation_login):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        automation_login.oauth2_client_credentials_tokens("urn:globus:auth:scope:nowhere:all")
    assert caught.value.http_status == 400
    assert caught.value.code == "invalid_scope"


def test_transfer_scope_records_data_access_dependent_scopes(emulator, automation_login):
    collection_id = "0d5b6a43-5d2c-4d4b-9c41-6d1c0c8b2a77"
    data_access = f"https://auth.globus.org/scopes/{collection_id}/data_access"
    tokens = automation_login.oauth2_client_credentials_tokens(f"{TRANSFER}[*{data_access}]")
    transfer = tokens.by_resource_server["transfer.api.globus.org"]
    assert transfer["scope"] == TRANSFER
    info = automation_login.oauth2_token_introspect(transfer["access_token"])
    assert info["dependent_scopes"] == [data_access]


def test_data_access_is_refused_under_a_non_transfer_scope(automation_login):
    data_access = "https://auth.globus.org/scopes/0d5b6a43-5d2c-4d4b-9c41-6d1c0c8b2a77/data_access"
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        automation_login.oauth2_client_credentials_tokens(f"{SEARCH}[{data_access}]")
    assert caught.value.code == "invalid_scope"


def test_unbalanced_brackets_are_invalid_scope(automation_login):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        automation_login.oauth2_token({"grant_type": "client_credentials", "scope": f"{TRANSFER}[openid"})
    assert caught.value.code == "invalid_scope"


@pytest.fixture
def gateway_api_token(emulator, portal) -> str:
    """Bob's token for the portal's own API scope (its resource server is the portal client)."""
    tokens = login_user_tokens(emulator, "bob", [portal["api_scope"]])
    return tokens[portal["client_id"]]["access_token"]


def test_dependent_tokens_for_the_portal_api(emulator, portal_login, gateway_api_token):
    dependent = portal_login.oauth2_get_dependent_tokens(gateway_api_token)
    assert isinstance(dependent.data, list)
    assert set(dependent.by_resource_server) == {"transfer.api.globus.org", "search.api.globus.org"}
    transfer = dependent.by_resource_server["transfer.api.globus.org"]
    assert transfer["refresh_token"] is None
    assert portal_login.oauth2_token_introspect(transfer["access_token"])["sub"] == emulator.user("bob")["identity_id"]


def test_dependent_tokens_limited_by_scope_with_refresh_tokens(portal_login, gateway_api_token):
    dependent = portal_login.oauth2_get_dependent_tokens(gateway_api_token, scope=TRANSFER, refresh_tokens=True)
    assert list(dependent.by_resource_server) == ["transfer.api.globus.org"]
    refresh = dependent.by_resource_server["transfer.api.globus.org"]["refresh_token"]
    assert portal_login.oauth2_refresh_token(refresh)["resource_server"] == "transfer.api.globus.org"


def test_dependent_scope_outside_the_api_scope_is_refused(portal_login, gateway_api_token):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        portal_login.oauth2_get_dependent_tokens(gateway_api_token, scope="openid")
    assert caught.value.code == "invalid_scope"


def test_dependent_tokens_only_for_the_tokens_resource_server(automation_login, gateway_api_token):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        automation_login.oauth2_get_dependent_tokens(gateway_api_token)
    assert caught.value.code == "invalid_grant"


def test_dependent_transfer_token_keeps_consented_data_access(emulator, portal, portal_login):
    collection_id = "5e0d2a55-83a4-4b8e-a3ce-3c6d6f0f8f11"
    data_access = f"https://auth.globus.org/scopes/{collection_id}/data_access"
    tokens = login_user_response(emulator, "bob", f"{portal['api_scope']}[{TRANSFER}[*{data_access}]]")
    api_token = tokens.by_resource_server[portal["client_id"]]["access_token"]
    dependent = portal_login.oauth2_get_dependent_tokens(api_token, scope=TRANSFER)
    info = portal_login.oauth2_token_introspect(dependent.by_resource_server["transfer.api.globus.org"]["access_token"])
    assert info["dependent_scopes"] == [data_access]
