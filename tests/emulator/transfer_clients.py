"""TransferClients for the seeded users, logged in through the emulator's real OAuth flow.

Tokens are cached per (emulator, user, scope) so a test module logs each user in once.
tests/emulator/conftest.py turns these into the `alice` … `dave` fixtures of the emulator's tests.
"""

from __future__ import annotations

import uuid
from typing import Any

import globus_sdk
import pytest

from tests.emulator.helpers import login_user_tokens

TRANSFER_ALL = "urn:globus:auth:scope:transfer.api.globus.org:all"
TRANSFER_RS = "transfer.api.globus.org"

_token_cache: dict[tuple[str, str, str], str] = {}


def collection_id(slug: str) -> str:
    """The stable id of a seeded collection (docs/emulator.md)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:collection:{slug}"))


def data_access_scope(collection: str) -> str:
    """The Transfer scope with a mapped collection's data_access consent beneath it."""
    return f"{TRANSFER_ALL}[*https://auth.globus.org/scopes/{collection}/data_access]"


def transfer_token(emulator: Any, username: str, scope: str | list[str] = TRANSFER_ALL) -> str:
    """An access token for Transfer, from the real authorization-code flow (cached)."""
    key = (str(emulator.instance_dir), username, scope if isinstance(scope, str) else " ".join(scope))
    if key not in _token_cache:
        tokens = login_user_tokens(emulator, username, scope)
        _token_cache[key] = tokens[TRANSFER_RS]["access_token"]
    return _token_cache[key]


def transfer_as(emulator: Any, username: str, scope: str | list[str] = TRANSFER_ALL) -> globus_sdk.TransferClient:
    """A real globus_sdk.TransferClient acting as a seeded user, pointed at the emulator.

    Retries are off so an expected 5xx from the emulator surfaces at once.
    """
    return globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(transfer_token(emulator, username, scope)),
        base_url=emulator.services["transfer"],
        retry_config=globus_sdk.transport.RetryConfig(max_retries=0),
    )


def fixture_keys(method: Any, case: str = "default") -> set[str]:
    """Top-level keys of a globus_sdk.testing canned response for a client method."""
    from globus_sdk.testing import get_response_set

    return set(get_response_set(method).lookup(case).json.keys())


def api_error(call: Any, *args: Any, **kwargs: Any) -> globus_sdk.TransferAPIError:
    """Call a TransferClient method that must fail, and return the SDK's error for inspection."""
    with pytest.raises(globus_sdk.TransferAPIError) as caught:
        call(*args, **kwargs)
    return caught.value
