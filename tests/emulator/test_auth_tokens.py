"""Revocation and introspection of issued tokens."""

from __future__ import annotations

import requests

from tests.emulator.helpers import login_user_response

TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"


def test_revoking_a_refresh_token_kills_the_access_tokens_minted_from_it(emulator, portal_login):
    tokens = login_user_response(emulator, "bob", [TRANSFER], refresh_tokens=True)
    transfer = tokens.by_resource_server["transfer.api.globus.org"]
    refreshed = portal_login.oauth2_refresh_token(transfer["refresh_token"])["access_token"]

    assert portal_login.oauth2_revoke_token(transfer["refresh_token"]).data == {"active": False}

    for access_token in (transfer["access_token"], refreshed):
        assert portal_login.oauth2_token_introspect(access_token).data == {"active": False}
    assert portal_login.oauth2_token_introspect(transfer["refresh_token"]).data == {"active": False}


def test_revoking_an_access_token_leaves_its_refresh_token_usable(emulator, portal_login):
    tokens = login_user_response(emulator, "bob", [TRANSFER], refresh_tokens=True)
    transfer = tokens.by_resource_server["transfer.api.globus.org"]
    portal_login.oauth2_revoke_token(transfer["access_token"])
    assert portal_login.oauth2_token_introspect(transfer["access_token"])["active"] is False
    assert portal_login.oauth2_refresh_token(transfer["refresh_token"])["access_token"]


def test_another_client_cannot_revoke_a_token(emulator, portal_login, automation_login):
    access = login_user_response(emulator, "bob", [TRANSFER]).by_resource_server["transfer.api.globus.org"]
    assert automation_login.oauth2_revoke_token(access["access_token"]).data == {"active": False}
    assert portal_login.oauth2_token_introspect(access["access_token"])["active"] is True


def test_revoke_needs_client_authentication(emulator):
    response = requests.post(f"{emulator.services['auth']}v2/oauth2/token/revoke", data={"token": "x"}, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_introspect_describes_an_active_token(emulator, portal, alice_login, portal_login):
    access = alice_login.by_resource_server["transfer.api.globus.org"]["access_token"]
    info = portal_login.oauth2_token_introspect(access, include="identity_set,session_info")
    alice = emulator.user("alice")
    assert info["active"] is True
    assert info["scope"] == TRANSFER
    assert info["client_id"] == portal["client_id"]
    assert info["sub"] == alice["identity_id"]
    assert (info["username"], info["name"], info["email"]) == (alice["username"], alice["name"], alice["email"])
    assert info["aud"] == ["transfer.api.globus.org", portal["client_id"]]
    assert info["iss"] == emulator.manifest["issuer"]
    assert info["iat"] == info["nbf"] < info["exp"]
    assert set(info["identity_set"]) == {alice["identity_id"], *alice["linked_identities"]}
    session_info = info["session_info"]
    assert session_info["session_id"]
    assert set(session_info["authentications"]) == {alice["identity_id"]}


def test_introspect_unknown_token_is_inactive(portal_login):
    assert portal_login.oauth2_token_introspect("not-a-token").data == {"active": False}


def test_introspect_needs_client_authentication(emulator, alice_login):
    access = alice_login.by_resource_server["transfer.api.globus.org"]["access_token"]
    response = requests.post(
        f"{emulator.services['auth']}v2/oauth2/token/introspect", data={"token": access}, timeout=30
    )
    assert response.status_code == 401
