"""The control API's auth-side calls: health, live settings, extra redirect URIs."""

from __future__ import annotations

import requests

from tests.emulator.helpers import auth_client, login_user_response, run_browser

TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"


def test_health_needs_no_credentials(emulator):
    response = requests.get(f"{emulator.base_url}/_emulator/health", timeout=30)
    assert response.json() == {"status": "ok"}


def test_control_calls_need_the_control_password(emulator):
    url = f"{emulator.base_url}/_emulator/settings"
    assert requests.post(url, json={"throughput": 1}, timeout=30).status_code == 401
    wrong = requests.post(url, json={"throughput": 1}, auth=("emulator-admin", "wrong"), timeout=30)
    assert wrong.status_code == 401
    assert emulator.control_get("settings").json()["throughput"] == 0


def test_bad_settings_change_nothing(emulator):
    before = emulator.control_get("settings").json()
    for body in (
        {"fault_rate": 2},
        {"throughput": -1},
        {"access_token_lifetime": True},
        {"access_token_lifetime": 1.5},
        {"colour": "blue"},
        {"throughput": 10, "fault_rate": "x"},
    ):
        response = emulator.control_post("settings", body)
        assert response.status_code == 400, body
        assert response.json()["message"]
    assert emulator.control_get("settings").json() == before


def test_access_token_lifetime_applies_to_new_tokens(emulator, emulator_setting, automation_login):
    assert emulator_setting(access_token_lifetime=120)["access_token_lifetime"] == 120
    assert automation_login.oauth2_client_credentials_tokens(TRANSFER)["expires_in"] == 120


def test_added_redirect_uri_is_accepted_and_published(emulator):
    uri = "http://127.0.0.1:5999/auth/callback"
    response = emulator.control_post("redirect-uris", {"uri": uri})
    assert response.status_code == 200
    assert uri in response.json()["redirect_uris"]
    assert uri in emulator.reload_manifest()["clients"]["portal"]["redirect_uris"]

    login = auth_client(emulator)
    login.oauth2_start_flow(uri, ["openid"])
    result = run_browser(emulator, login.oauth2_get_authorize_url(), "dave")
    assert result.redirect_url.startswith(uri + "?")
    assert login.oauth2_exchange_code_for_tokens(result.code)["id_token"]


def test_bad_redirect_uri_is_refused(emulator):
    for uri in ("javascript:alert(1)", "/relative/path", "http://127.0.0.1:5000/cb#fragment", 42):
        assert emulator.control_post("redirect-uris", {"uri": uri}).status_code == 400, uri


def test_login_helper_works_with_the_manifest_users(emulator):
    tokens = login_user_response(emulator, "carol", ["openid"])
    assert tokens.decode_id_token()["sub"] == emulator.user("carol")["identity_id"]
