"""Login scopes and the allowlist for extra (consent) scopes."""

from __future__ import annotations

import pytest

from app.services.errors import InvalidRequest
from app.services.globus.scopes import (
    BASE_LOGIN_SCOPES,
    dependent_scope_strings,
    login_scopes,
    requested_scopes_by_resource_server,
    validate_extra_scopes,
)

TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"
DATA_ACCESS = "https://auth.globus.org/scopes/{}/data_access"
C1 = "0d4bd4aa-5e6d-5c1b-9b1c-0f0f0f0f0f01"
C2 = "0d4bd4aa-5e6d-5c1b-9b1c-0f0f0f0f0f02"


def test_base_scopes_are_what_the_portal_needs():
    assert set(BASE_LOGIN_SCOPES) == {
        "openid",
        "profile",
        "email",
        "urn:globus:auth:scope:auth.globus.org:view_identities",
        TRANSFER,
        "urn:globus:auth:scope:search.api.globus.org:all",
    }


def test_consent_scopes_merge_with_earlier_consents():
    earlier = [f"{TRANSFER}[*{DATA_ACCESS.format(C1)}]"]
    extra = validate_extra_scopes(f"{TRANSFER}[*{DATA_ACCESS.format(C2)}]")
    scopes = login_scopes(earlier, extra)
    transfer = [scope for scope in scopes if scope.startswith(TRANSFER)]
    assert len(transfer) == 1
    assert set(dependent_scope_strings(transfer[0])) == {DATA_ACCESS.format(C1), DATA_ACCESS.format(C2)}
    assert "openid" in scopes


@pytest.mark.parametrize(
    "scopes",
    [
        "https://evil.example/scopes/x/all",
        f"{TRANSFER}[*https://evil.example/{C1}/data_access]",
        "urn:globus:auth:scope:transfer.api.globus.org:all\nSet-Cookie",
        "not a scope at all!",
        f"{TRANSFER}[unclosed",
        "x" * 5000,
    ],
)
def test_extra_scopes_outside_the_allowlist_are_refused(scopes):
    with pytest.raises(InvalidRequest):
        validate_extra_scopes(scopes)


def test_requested_scopes_are_filed_under_their_resource_server():
    requested = ["openid", "email", f"{TRANSFER}[*{DATA_ACCESS.format(C1)}]"]
    granted = {"auth.globus.org": "openid email", "transfer.api.globus.org": TRANSFER}
    by_rs = requested_scopes_by_resource_server(requested, granted)
    assert by_rs["auth.globus.org"] == "openid email"
    assert by_rs["transfer.api.globus.org"] == f"{TRANSFER}[*{DATA_ACCESS.format(C1)}]"
