"""globus_errors(): real SDK errors from the emulator (and a dead port) become domain errors."""

from __future__ import annotations

import socket
import uuid

import globus_sdk
import pytest

from app.services.errors import (
    InvalidRequest,
    ReauthenticationRequired,
    RemoteNotFound,
    RemotePermissionDenied,
    RemoteUnavailable,
)
from app.services.globus.errors import globus_errors
from app.services.user_clients import login_client
from tests.emulator.helpers import login_user_tokens

TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"


@pytest.fixture(scope="module")
def dave_transfer(emulator) -> globus_sdk.TransferClient:
    tokens = login_user_tokens(emulator, "dave", [TRANSFER_SCOPE])
    return globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(tokens["transfer.api.globus.org"]["access_token"]),
        base_url=emulator.services["transfer"],
    )


def test_not_found(dave_transfer):
    with pytest.raises(RemoteNotFound), globus_errors("transfer"):
        dave_transfer.get_endpoint(str(uuid.uuid4()))


def test_missing_data_access_consent_names_the_scope(emulator, dave_transfer):
    campus = emulator.collection("campus-cluster")["id"]
    with pytest.raises(ReauthenticationRequired) as raised, globus_errors("transfer"):
        dave_transfer.operation_ls(campus, path="/")
    assert any(f"https://auth.globus.org/scopes/{campus}/data_access" in scope for scope in raised.value.scopes)


def test_permission_denied(emulator, dave_transfer):
    laptop = emulator.collection("alice-laptop")["id"]
    with pytest.raises((RemotePermissionDenied, RemoteNotFound)), globus_errors("transfer"):
        dave_transfer.operation_ls(laptop, path="/")


def test_invalid_request(dave_transfer):
    with pytest.raises(InvalidRequest) as raised, globus_errors("transfer"):
        dave_transfer.endpoint_search("lab", filter_scope="no-such-scope")
    assert raised.value.message


def test_a_token_globus_does_not_accept_means_log_in_again(emulator):
    client = globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer("not-a-real-token"), base_url=emulator.services["transfer"]
    )
    with pytest.raises(ReauthenticationRequired) as raised, globus_errors("transfer"):
        client.endpoint_search("lab")
    assert raised.value.scopes == []


def test_errors_that_are_not_remote_pass_through():
    with pytest.raises(KeyError), globus_errors("transfer"):
        raise KeyError("a programming error stays a programming error")


def test_the_decorator_form_translates_too(emulator):
    @globus_errors("search")
    def search_with_bad_token():
        client = globus_sdk.SearchClient(
            authorizer=globus_sdk.AccessTokenAuthorizer("bad"), base_url=emulator.services["search"]
        )
        return client.search(emulator.manifest["search_index"]["id"], "x")

    with pytest.raises(ReauthenticationRequired):
        search_with_bad_token()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_service_is_unavailable(tmp_path):
    from tests.portal_fixtures import build_migrated_app, portal_overrides

    app = build_migrated_app(
        portal_overrides(
            tmp_path / "instance", GLOBUS_AUTH_URL=f"http://127.0.0.1:{_closed_port()}/auth/", GLOBUS_MAX_RETRIES=0
        )
    )
    with app.app_context(), pytest.raises(RemoteUnavailable) as raised, globus_errors("auth"):
        login_client().get_openid_configuration()
    assert raised.value.service == "auth" and raised.value.service_name == "Globus Auth"
