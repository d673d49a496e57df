"""User clients build the portal's login client only when a token must be refreshed."""

from __future__ import annotations

import pytest

from app.services.globus.clients import LazyLoginRefreshTokenAuthorizer
from app.services.user_clients import transfer_client
from tests.users import placeholder_tokens, portal_user

TRANSFER = "transfer.api.globus.org"


def test_a_valid_access_token_is_used_without_building_a_login_client(portal_app):
    user_id = portal_user(portal_app, "dave", tokens=placeholder_tokens("dave", refresh=True))
    with portal_app.test_request_context():
        authorizer = transfer_client(user_id).authorizer
        assert isinstance(authorizer, LazyLoginRefreshTokenAuthorizer)
        assert authorizer.get_authorization_header() == f"Bearer access-dave-{TRANSFER}"
        assert authorizer._login_client is None


def test_a_401_still_asks_the_login_client_for_a_refresh(portal_app):
    user_id = portal_user(portal_app, "dave", tokens=placeholder_tokens("dave", refresh=True))
    # Without portal credentials the lazily built login client cannot exist: the refresh
    # attempt after a 401 (the SDK retries with a fresh header) shows up as that configuration error instead of a silent reuse.
    portal_app.config["GLOBUS_CLIENT_SECRET"] = None
    portal_app.extensions.pop("globus_settings", None)  # settings are read once per app
    with portal_app.test_request_context():
        authorizer = transfer_client(user_id).authorizer
        assert authorizer._login_client is None, "a valid token needs no login client"
        assert authorizer.handle_missing_authorization() is True
        with pytest.raises(RuntimeError, match="GLOBUS_CLIENT_SECRET"):
            authorizer.get_authorization_header()


def test_the_login_client_is_built_once_and_keeps_the_portal_settings(portal_app):
    user_id = portal_user(portal_app, "dave", tokens=placeholder_tokens("dave", refresh=True))
    with portal_app.test_request_context():
        authorizer = transfer_client(user_id).authorizer
        first = authorizer.auth_client
        assert authorizer.auth_client is first
        assert first.client_id == portal_app.config["GLOBUS_CLIENT_ID"]
