"""Per-user SDK clients built from stored tokens work against the emulator, tuned per caller."""

from __future__ import annotations

import globus_sdk

from app.services.globus.errors import globus_errors
from app.services.user_clients import auth_client, login_client, search_client, transfer_client
from tests.users import logged_in


def test_auth_and_search_clients_act_as_the_user(live_portal):
    logged_in(live_portal, "bob")
    user_id = live_portal.user_id("bob")
    index_id = live_portal.emulator.manifest["search_index"]["id"]
    with live_portal.app.test_request_context(), globus_errors("auth"):
        assert auth_client(user_id).userinfo()["sub"] == live_portal.emulator.user("bob")["identity_id"]
        result = search_client(user_id).search(index_id, "*", limit=1)
    assert "gmeta" in result.data


def test_browser_and_worker_clients_get_their_own_timeouts(live_portal):
    logged_in(live_portal, "bob")
    user_id = live_portal.user_id("bob")
    config = live_portal.app.config
    with live_portal.app.test_request_context():
        browser_client = transfer_client(user_id)
        worker_client = transfer_client(user_id, for_worker=True)
        assert browser_client.transport.http_timeout == config["GLOBUS_HTTP_TIMEOUT"]
        assert browser_client.retry_config.max_retries == config["GLOBUS_MAX_RETRIES"]
        assert worker_client.transport.http_timeout == config["WORKER_HTTP_TIMEOUT"]
        assert worker_client.retry_config.max_retries == config["WORKER_MAX_RETRIES"]
        assert isinstance(browser_client.authorizer, globus_sdk.RefreshTokenAuthorizer)
        assert browser_client.base_url.startswith(live_portal.emulator.services["transfer"].rstrip("/"))
        # A new login client each call: the OAuth flow state lives on it.
        assert login_client() is not login_client()
