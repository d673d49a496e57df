"""The authorization-code flow through the real SDK and a requests-driven 'browser'."""

from __future__ import annotations

import secrets

import globus_sdk
import pytest
import requests

from tests.emulator.helpers import exchange_code, page_forms, pkce_pair, run_browser

TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"


def start(login_client, portal, scopes, *, state=None, refresh_tokens=False, **query):
    """Begin a flow with the SDK; returns the authorize URL."""
    login_client.oauth2_start_flow(
        portal["redirect_uris"][0], scopes, state=state or secrets.token_urlsafe(8), refresh_tokens=refresh_tokens
    )
    return login_client.oauth2_get_authorize_url(query_params=query or None)


def test_full_flow_with_pkce_and_nonce(emulator, portal, portal_login):
    verifier, challenge = pkce_pair()
    url = start(
        portal_login,
        portal,
        ["openid", "profile", "email", TRANSFER],
        state="s-123",
        refresh_tokens=True,
        code_challenge=challenge,
        code_challenge_method="S256",
        nonce="n-456",
    )
    result = run_browser(emulator, url, "bob")
    assert result.redirect_url.startswith(portal["redirect_uris"][0] + "?")
    assert result.params["state"] == "s-123"

    tokens = exchange_code(portal_login, result.code, portal["redirect_uris"][0], verifier)
    assert set(tokens.by_resource_server) == {"auth.globus.org", "transfer.api.globus.org"}
    assert tokens["resource_server"] == "auth.globus.org"
    assert tokens["state"] == "s-123"
    transfer = tokens.by_resource_server["transfer.api.globus.org"]
    assert transfer["scope"] == TRANSFER
    assert transfer["refresh_token"] and transfer["token_type"] == "Bearer"
    claims = tokens.decode_id_token()
    assert claims["nonce"] == "n-456"
    assert claims["sub"] == emulator.user("bob")["identity_id"]


def test_wrong_pkce_verifier_is_rejected(emulator, portal, portal_login):
    _verifier, challenge = pkce_pair()
    url = start(portal_login, portal, ["openid"], code_challenge=challenge, code_challenge_method="S256")
    code = run_browser(emulator, url, "alice").code
    other_verifier, _ = pkce_pair()
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        exchange_code(portal_login, code, portal["redirect_uris"][0], other_verifier)
    assert caught.value.http_status == 400
    assert caught.value.code == "invalid_grant"


def test_missing_pkce_verifier_is_rejected(emulator, portal, portal_login):
    _verifier, challenge = pkce_pair()
    url = start(portal_login, portal, ["openid"], code_challenge=challenge, code_challenge_method="S256")
    code = run_browser(emulator, url, "alice").code
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        portal_login.oauth2_exchange_code_for_tokens(code)
    assert caught.value.code == "invalid_grant"


def test_plain_pkce_method_is_refused_on_the_redirect(emulator, portal, portal_login):
    url = start(portal_login, portal, ["openid"], state="st", code_challenge="x" * 43, code_challenge_method="plain")
    result = run_browser(emulator, url, "alice")
    assert result.params["error"] == "invalid_request"
    assert result.params["state"] == "st"
    assert "code" not in result.params


def test_code_is_single_use(emulator, portal, portal_login):
    url = start(portal_login, portal, ["openid"])
    code = run_browser(emulator, url, "alice").code
    portal_login.oauth2_exchange_code_for_tokens(code)
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        portal_login.oauth2_exchange_code_for_tokens(code)
    assert caught.value.http_status == 400
    assert caught.value.code == "invalid_grant"


def test_expired_code_is_rejected(emulator, portal, portal_login, emulator_setting):
    emulator_setting(code_lifetime=0)
    url = start(portal_login, portal, ["openid"])
    code = run_browser(emulator, url, "alice").code
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        portal_login.oauth2_exchange_code_for_tokens(code)
    assert caught.value.code == "invalid_grant"
    assert "expired" in caught.value.text


def test_code_from_another_client_is_rejected(emulator, portal, portal_login, automation_login):
    url = start(portal_login, portal, ["openid"])
    code = run_browser(emulator, url, "alice").code
    automation_login.oauth2_start_flow(portal["redirect_uris"][0], ["openid"])
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        automation_login.oauth2_exchange_code_for_tokens(code)
    assert caught.value.code == "invalid_grant"
    # The failed attempt by another client must not have used the code up.
    assert portal_login.oauth2_exchange_code_for_tokens(code)["access_token"]


def test_exchange_with_different_redirect_uri_is_rejected(emulator, portal, portal_login):
    url = start(portal_login, portal, ["openid"])
    code = run_browser(emulator, url, "alice").code
    with pytest.raises(globus_sdk.AuthAPIError) as caught:
        exchange_code(portal_login, code, portal["redirect_uris"][1])
    assert caught.value.code == "invalid_grant"


def test_unregistered_redirect_uri_shows_an_error_page_not_a_redirect(emulator, portal_login):
    portal_login.oauth2_start_flow("https://evil.example.com/callback", ["openid"])
    response = requests.get(portal_login.oauth2_get_authorize_url(), allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "text/html" in response.headers["Content-Type"]
    assert "not registered" in response.text


def test_unknown_client_shows_an_error_page(emulator, portal):
    response = requests.get(
        f"{emulator.services['auth']}v2/oauth2/authorize",
        params={
            "client_id": "00000000-0000-0000-0000-000000000000",
            "redirect_uri": portal["redirect_uris"][0],
            "scope": "openid",
            "response_type": "code",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "not registered" in response.text


def test_unknown_scope_is_redirected_as_invalid_scope(emulator, portal, portal_login):
    url = start(portal_login, portal, ["openid", "urn:globus:auth:scope:nowhere:all"], state="q")
    result = run_browser(emulator, url, "alice")
    assert result.params["error"] == "invalid_scope"
    assert result.params["state"] == "q"


def test_declined_consent_redirects_with_access_denied(emulator, portal, portal_login):
    # dave has never consented to the search scope for the portal, so the consent page is shown.
    url = start(portal_login, portal, ["urn:globus:auth:scope:search.api.globus.org:all"], state="deny-me")
    result = run_browser(emulator, url, "dave", consent="deny")
    assert result.params == {
        "error": "access_denied",
        "error_description": result.params["error_description"],
        "state": "deny-me",
    }


def test_wrong_password_shows_the_form_again_and_issues_nothing(emulator, portal, portal_login):
    browser = requests.Session()
    url = start(portal_login, portal, ["openid"])
    page = browser.get(url, timeout=30)
    form = page_forms(page.text)[0]
    data = dict(form.fields, username="alice@example.edu", password="not-her-password")
    response = browser.post(page.url.split("/auth/")[0] + form.action, data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert "password" in page_forms(response.text)[0].fields


def test_login_form_without_csrf_token_is_refused(emulator, portal, portal_login):
    browser = requests.Session()
    url = start(portal_login, portal, ["openid"])
    page = browser.get(url, timeout=30)
    form = page_forms(page.text)[0]
    data = dict(form.fields, username="alice@example.edu", password=emulator.user("alice")["password"])
    data.pop("csrf_token")
    response = browser.post(emulator.base_url + form.action, data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_second_sign_in_skips_password_and_known_consent(emulator, portal, portal_login):
    browser = requests.Session()
    first = run_browser(emulator, start(portal_login, portal, ["openid", "email"]), "carol", browser=browser)
    assert "code" in first.params
    # Same browser, same scopes: no login form, no consent page — straight back with a code.
    second = browser.get(start(portal_login, portal, ["openid", "email"]), allow_redirects=False, timeout=30)
    assert second.status_code == 302
    assert "code=" in second.headers["Location"]


def test_prompt_login_asks_for_the_password_again(emulator, portal, portal_login):
    browser = requests.Session()
    run_browser(emulator, start(portal_login, portal, ["openid"]), "carol", browser=browser)
    portal_login.oauth2_start_flow(portal["redirect_uris"][0], ["openid"])
    page = browser.get(portal_login.oauth2_get_authorize_url(prompt="login"), allow_redirects=False, timeout=30)
    assert page.status_code == 200
    assert "password" in page_forms(page.text)[0].fields


def test_prompt_consent_shows_the_consent_page_for_scopes_already_allowed(emulator, portal, portal_login):
    browser = requests.Session()
    run_browser(emulator, start(portal_login, portal, ["openid", "email"]), "carol", browser=browser)
    portal_login.oauth2_start_flow(portal["redirect_uris"][0], ["openid", "email"])
    page = browser.get(portal_login.oauth2_get_authorize_url(prompt="consent"), allow_redirects=False, timeout=30)
    assert page.status_code == 200
    assert "password" not in page_forms(page.text)[0].fields
    assert "Allow" in page.text


def test_linked_identity_can_sign_in(emulator, portal, portal_login):
    url = start(portal_login, portal, ["openid", "profile"])
    result = run_browser(emulator, url, "alice@orcid.example.org", emulator.user("alice")["password"])
    claims = portal_login.oauth2_exchange_code_for_tokens(result.code).decode_id_token()
    assert claims["preferred_username"] == "alice@orcid.example.org"
    assert {member["sub"] for member in claims["identity_set"]} == {
        emulator.user("alice")["identity_id"],
        *emulator.user("alice")["linked_identities"],
    }


def test_long_scope_request_survives_login_and_consent(emulator, portal, portal_login):
    # Twenty data_access scopes would not fit in a cookie; the pending request is kept server-side.
    collections = [f"{index:08d}-1111-4222-8333-444455556666" for index in range(20)]
    scope = TRANSFER + "[" + " ".join(f"*https://auth.globus.org/scopes/{c}/data_access" for c in collections) + "]"
    url = start(portal_login, portal, [scope])
    tokens = portal_login.oauth2_exchange_code_for_tokens(run_browser(emulator, url, "dave").code)
    info = portal_login.oauth2_token_introspect(tokens.by_resource_server["transfer.api.globus.org"]["access_token"])
    assert len(info["dependent_scopes"]) == 20


def test_two_sign_ins_in_one_browser_do_not_interfere(emulator, portal, portal_login):
    browser = requests.Session()
    first_page = browser.get(start(portal_login, portal, ["openid"], state="first"), timeout=30)
    second_url = start(portal_login, portal, ["openid"], state="second")
    second = run_browser(emulator, second_url, "bob", browser=browser)
    assert second.params["state"] == "second"
    # The first tab's login form still works; being logged in now, it goes straight to the code.
    form = page_forms(first_page.text)[0]
    data = dict(form.fields, username="bob@example.edu", password=emulator.user("bob")["password"])
    response = browser.post(emulator.base_url + form.action, data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 303
    final = browser.get(emulator.base_url + response.headers["Location"], allow_redirects=False, timeout=30)
    assert final.headers["Location"].startswith(portal["redirect_uris"][0])
    assert "state=first" in final.headers["Location"] and "code=" in final.headers["Location"]


def test_pending_request_of_another_browser_is_not_usable(emulator, portal, portal_login):
    page = requests.get(start(portal_login, portal, ["openid"]), timeout=30)
    form = page_forms(page.text)[0]
    stranger = requests.Session()
    stranger.get(start(portal_login, portal, ["openid"]), timeout=30)  # gets its own cookie and CSRF token
    data = dict(form.fields, username="bob@example.edu", password=emulator.user("bob")["password"])
    response = stranger.post(emulator.base_url + form.action, data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert "expired" in response.text
