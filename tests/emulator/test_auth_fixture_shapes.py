"""Our answers carry every top-level key of the SDK's canned real Globus payloads.

`globus_sdk.testing` holds recorded responses of the real service; for each Auth method the
portal uses, every key of the fixture's default case (or the named case where there is no
default) must appear in what the emulator returns for the same call.
"""

from __future__ import annotations

import globus_sdk
import pytest
import requests
from globus_sdk.testing import get_response_set

from tests.emulator.helpers import login_user_response

TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"


def fixture_json(method: str, case: str = "default"):
    """The canned JSON body of one SDK auth fixture case."""
    return get_response_set(f"auth.{method}").lookup(case).json


def assert_has_keys(ours: dict, reference: dict, where: str) -> None:
    missing = set(reference) - set(ours)
    assert not missing, f"{where}: missing {sorted(missing)} (we sent {sorted(ours)})"


def test_exchange_code_for_tokens_shape(emulator):
    ours = login_user_response(emulator, "carol", [TRANSFER]).data
    assert_has_keys(ours, fixture_json("oauth2_exchange_code_for_tokens"), "code exchange")


def test_exchange_code_openid_case_shape(emulator):
    ours = login_user_response(emulator, "carol", ["openid"]).data
    assert_has_keys(ours, fixture_json("oauth2_exchange_code_for_tokens", "openid"), "code exchange (openid)")


def test_client_credentials_shape(automation_login):
    ours = automation_login.oauth2_client_credentials_tokens(TRANSFER).data
    assert_has_keys(ours, fixture_json("oauth2_client_credentials_tokens"), "client credentials")


def test_dependent_tokens_shape(emulator, portal, portal_login):
    api_token = login_user_response(emulator, "carol", [portal["api_scope"]]).by_resource_server[portal["client_id"]][
        "access_token"
    ]
    ours = portal_login.oauth2_get_dependent_tokens(api_token, refresh_tokens=True).data
    reference = fixture_json("oauth2_get_dependent_tokens", "groups_with_refresh_token")
    assert isinstance(ours, list) and ours
    for token in ours:
        assert_has_keys(token, reference[0], "dependent token")


def test_introspect_shape(emulator, portal_login):
    access = login_user_response(emulator, "carol", [TRANSFER]).by_resource_server["transfer.api.globus.org"][
        "access_token"
    ]
    ours = portal_login.oauth2_token_introspect(access).data
    assert_has_keys(ours, fixture_json("oauth2_token_introspect"), "introspect")


def test_revoke_shape(portal_login):
    assert_has_keys(
        portal_login.oauth2_revoke_token("unknown-token").data, fixture_json("oauth2_revoke_token"), "revoke"
    )


@pytest.fixture
def carol_auth_client(emulator) -> globus_sdk.AuthClient:
    tokens = login_user_response(emulator, "carol", ["openid", "profile", "email"])
    return globus_sdk.AuthClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(tokens.by_resource_server["auth.globus.org"]["access_token"]),
        base_url=emulator.services["auth"],
    )


def test_get_identities_shape(emulator, carol_auth_client):
    reference = fixture_json("get_identities")
    ours = carol_auth_client.get_identities(usernames="carol@example.edu").data
    assert_has_keys(ours, reference, "identities")
    assert_has_keys(ours["identities"][0], reference["identities"][0], "identity document")


def test_get_identity_providers_shape(carol_auth_client):
    reference = fixture_json("get_identity_providers")
    ours = carol_auth_client.get_identity_providers(domains="example.edu").data
    assert_has_keys(ours, reference, "identity providers")
    assert_has_keys(ours["identity_providers"][0], reference["identity_providers"][0], "identity provider")


def test_userinfo_error_shape(emulator):
    reference = fixture_json("userinfo", "unauthorized")
    response = requests.get(f"{emulator.services['auth']}v2/oauth2/userinfo", timeout=30)
    assert response.status_code == 401
    ours = response.json()
    assert_has_keys(ours, reference, "userinfo 401")
    assert_has_keys(ours["errors"][0], reference["errors"][0], "userinfo 401 sub-error")
    assert ours["errors"][0]["code"] == reference["errors"][0]["code"]
