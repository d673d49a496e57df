"""The Auth API: userinfo, identities, identity providers, and the logout page."""

from __future__ import annotations

import globus_sdk
import pytest
import requests

from tests.emulator.helpers import login_user_response, page_forms, run_browser


def test_userinfo(emulator, alice_login, auth_api):
    info = auth_api(alice_login.by_resource_server["auth.globus.org"]["access_token"]).userinfo()
    alice = emulator.user("alice")
    assert info["sub"] == alice["identity_id"]
    assert info["preferred_username"] == alice["username"]
    assert info["email"] == alice["email"]
    assert info["name"] == alice["name"]
    assert [member["sub"] for member in info["identity_set"]] == [alice["identity_id"], *alice["linked_identities"]]


def test_userinfo_without_email_scope_hides_the_email(emulator, auth_api):
    tokens = login_user_response(emulator, "dave", ["openid"])
    info = auth_api(tokens.by_resource_server["auth.globus.org"]["access_token"]).userinfo()
    assert info["sub"] == emulator.user("dave")["identity_id"]
    assert "email" not in info


def test_userinfo_with_a_transfer_token_is_401(alice_login, auth_api):
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        auth_api(alice_login.by_resource_server["transfer.api.globus.org"]["access_token"]).userinfo()
    assert caught.value.http_status == 401
    assert caught.value.code == "UNAUTHORIZED"


def test_get_identities_by_ids(emulator, alice_login, auth_api):
    client = auth_api(alice_login.by_resource_server["auth.globus.org"]["access_token"])
    bob, carol = emulator.user("bob"), emulator.user("carol")
    found = client.get_identities(ids=[carol["identity_id"], bob["identity_id"]])
    assert [identity["username"] for identity in found] == [carol["username"], bob["username"]]
    assert found["identities"][0] == {
        "id": carol["identity_id"],
        "username": carol["username"],
        "name": carol["name"],
        "email": carol["email"],
        "identity_provider": found["identities"][0]["identity_provider"],
        "identity_type": "login",
        "organization": "Example University",
        "status": "used",
    }


def test_get_identities_by_usernames_skips_unknown_ones(emulator, alice_login, auth_api):
    client = auth_api(alice_login.by_resource_server["auth.globus.org"]["access_token"])
    found = client.get_identities(
        usernames=["DAVE@example.edu", "nobody@example.edu", "alice@orcid.example.org"], provision=True
    )
    assert [identity["username"] for identity in found] == ["dave@example.edu", "alice@orcid.example.org"]
    assert found["identities"][1]["id"] == emulator.user("alice")["linked_identities"][0]


def test_get_identities_with_client_credentials(emulator, portal):
    client = globus_sdk.AuthClient(
        authorizer=globus_sdk.BasicAuthorizer(portal["client_id"], portal["client_secret"]),
        base_url=emulator.services["auth"],
    )
    assert (
        client.get_identities(usernames="bob@example.edu")["identities"][0]["id"] == emulator.user("bob")["identity_id"]
    )


def test_get_identities_rejects_bad_queries(alice_login, auth_api):
    client = auth_api(alice_login.by_resource_server["auth.globus.org"]["access_token"])
    with pytest.raises(globus_sdk.AuthAPIError) as both:
        client.get_identities(usernames="bob@example.edu", ids="7c4e0f6e-1d1c-4f22-8a3b-1f9f0b7a6e55")
    assert both.value.http_status == 400
    with pytest.raises(globus_sdk.AuthAPIError) as not_uuid:
        client.get_identities(ids="not-a-uuid")
    assert not_uuid.value.http_status == 400


def test_get_identities_needs_a_token(emulator):
    client = globus_sdk.AuthClient(base_url=emulator.services["auth"])
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        client.get_identities(usernames="bob@example.edu")
    assert caught.value.http_status == 401


def test_identity_providers(emulator, alice_login, auth_api):
    client = auth_api(alice_login.by_resource_server["auth.globus.org"]["access_token"])
    everything = client.get_identity_providers()["identity_providers"]
    assert {"example.edu", "orcid.example.org"} <= {idp["short_name"] for idp in everything}
    only = client.get_identity_providers(domains="orcid.example.org")["identity_providers"]
    assert [idp["name"] for idp in only] == ["ORCID (local)"]


def _logout(emulator, browser, **params):
    return browser.get(f"{emulator.services['auth']}v2/web/logout", params=params, timeout=30)


def test_logout_links_back_to_a_registered_origin_and_ends_the_login(emulator, portal, portal_login):
    browser = requests.Session()
    portal_login.oauth2_start_flow(portal["redirect_uris"][0], ["openid"])
    run_browser(emulator, portal_login.oauth2_get_authorize_url(), "bob", browser=browser)

    page = _logout(
        emulator,
        browser,
        client=portal["client_id"],
        redirect_uri="http://127.0.0.1:5000/",
        redirect_name="Science Gateway",
    )
    assert page.status_code == 200
    assert 'href="http://127.0.0.1:5000/"' in page.text
    assert "Return to Science Gateway" in page.text

    # The emulator login is gone: the next authorize shows the login form again.
    again = browser.get(portal_login.oauth2_get_authorize_url(), allow_redirects=False, timeout=30)
    assert again.status_code == 200
    assert "password" in page_forms(again.text)[0].fields


def test_logout_does_not_link_to_an_unregistered_origin(emulator, portal):
    page = _logout(
        emulator, requests.Session(), client=portal["client_id"], redirect_uri="https://evil.example.com/phish"
    )
    assert page.status_code == 200
    assert "evil.example.com" not in page.text
    assert "not registered" in page.text


def test_logout_refuses_non_http_redirects(emulator, portal):
    page = _logout(emulator, requests.Session(), client=portal["client_id"], redirect_uri="javascript:alert(1)")
    assert "javascript:" not in page.text
