"""Fixtures for the emulator's own tests: SDK clients for the seeded clients and users.

`alice`, `bob`, `carol`, `dave`: TransferClients of the seeded users (tests/emulator/transfer_clients.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import globus_sdk
import pytest

from tests.emulator.helpers import auth_client, login_user_response
from tests.emulator.transfer_clients import transfer_as


@pytest.fixture
def portal(emulator) -> dict[str, Any]:
    """The seeded portal client (id, secret, redirect URIs, API scope)."""
    return emulator.client("portal")


@pytest.fixture
def portal_login(emulator) -> globus_sdk.ConfidentialAppAuthClient:
    """The SDK login client of the portal, pointed at the emulator."""
    return auth_client(emulator, "portal")


@pytest.fixture
def automation_login(emulator) -> globus_sdk.ConfidentialAppAuthClient:
    """The SDK login client of the automation client."""
    return auth_client(emulator, "automation")


@pytest.fixture
def auth_api(emulator) -> Callable[[str], globus_sdk.AuthClient]:
    """Build an SDK AuthClient for a bearer token (the user's auth.globus.org token)."""

    def build(access_token: str) -> globus_sdk.AuthClient:
        return globus_sdk.AuthClient(
            authorizer=globus_sdk.AccessTokenAuthorizer(access_token), base_url=emulator.services["auth"]
        )

    return build


@pytest.fixture
def alice_login(emulator) -> globus_sdk.services.auth.OAuthTokenResponse:
    """Alice logged in to the portal with identity, transfer and search scopes (refresh tokens)."""
    return login_user_response(
        emulator,
        "alice",
        [
            "openid",
            "profile",
            "email",
            "urn:globus:auth:scope:auth.globus.org:view_identities",
            "urn:globus:auth:scope:transfer.api.globus.org:all",
            "urn:globus:auth:scope:search.api.globus.org:all",
        ],
        refresh_tokens=True,
        nonce="alice-nonce",
    )


@pytest.fixture
def emulator_setting(emulator):
    """Change a live emulator setting for one test; every change is undone afterwards."""
    original = emulator.control_get("settings").json()
    changed: set[str] = set()

    def change(**values: Any) -> dict[str, Any]:
        response = emulator.control_post("settings", values)
        assert response.status_code == 200, response.text
        changed.update(values)
        return response.json()

    yield change
    if changed:
        emulator.control_post("settings", {name: original[name] for name in changed})


def _transfer_fixture(user: str) -> Callable[..., globus_sdk.TransferClient]:
    @pytest.fixture(scope="module", name=user)
    def client(emulator) -> globus_sdk.TransferClient:
        return transfer_as(emulator, user)

    client.__doc__ = f"A TransferClient acting as {user}, logged in through the emulator's real flow (no retries)."
    return client


alice = _transfer_fixture("alice")
bob = _transfer_fixture("bob")
carol = _transfer_fixture("carol")
dave = _transfer_fixture("dave")
