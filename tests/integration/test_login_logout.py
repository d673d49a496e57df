"""A full browser login and logout against the emulator over real HTTP."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import globus_sdk
import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import StoredToken
from app.services import token_records
from tests.portal_fixtures import csrf_from
from tests.session_store import plant_session
from tests.users import logged_in

EXPECTED_RESOURCE_SERVERS = {"auth.globus.org", "transfer.api.globus.org", "search.api.globus.org"}


def _login_client(live_portal) -> globus_sdk.ConfidentialAppAuthClient:
    portal = live_portal.emulator.client("portal")
    return globus_sdk.ConfidentialAppAuthClient(
        portal["client_id"], portal["client_secret"], base_url=live_portal.emulator.services["auth"]
    )


def _introspect(live_portal, token: str) -> dict:
    return _login_client(live_portal).oauth2_token_introspect(token).data


def test_login_stores_tokens_rotates_session_and_shows_dashboard(live_portal, caplog):
    caplog.set_level(logging.DEBUG)
    requests_session = requests.Session()
    # A visitor whose browser already has a session (an earlier visit left a CSRF token).
    cookie_before = plant_session(live_portal.app, {"_csrf_token": "from-an-earlier-visit"})
    requests_session.cookies.set("gateway_session", cookie_before, domain=urlsplit(live_portal.base_url).hostname)
    authorize_url = live_portal.start_login(requests_session, next_path="/")
    assert requests_session.cookies.get("gateway_login"), "the pending login travels in its sealed cookie"
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 22  # >= 128 bits of urlsafe base64
    assert query["nonce"][0] and query["access_type"] == ["offline"]
    scopes = query["scope"][0].split()
    for scope in (
        "openid",
        "profile",
        "email",
        "urn:globus:auth:scope:transfer.api.globus.org:all",
        "urn:globus:auth:scope:search.api.globus.org:all",
    ):
        assert scope in scopes

    callback = live_portal.authorize(requests_session, authorize_url, "alice")
    response = requests_session.get(callback, allow_redirects=False, timeout=30)
    browser = requests_session
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert browser.cookies.get("gateway_session") != cookie_before, "session id must rotate at login"
    assert browser.cookies.get("gateway_login") is None, "the callback deletes the pending-login cookie"

    page = browser.get(live_portal.url("/"), timeout=30)
    assert page.status_code == 200
    assert "Alice Researcher" in page.text
    assert "alice@orcid.example.org" in page.text  # linked identity
    assert "Globus Transfer" in page.text and "Globus Search" in page.text
    assert page.headers["Cache-Control"] == "no-store"

    user_id = live_portal.user_id("alice")
    with live_portal.context():
        records = token_records.read_tokens(user_id)
    assert EXPECTED_RESOURCE_SERVERS <= set(records)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert "/auth/callback" in caplog.text and code not in caplog.text
    for record in records.values():
        assert record.access_token not in page.text
        assert record.refresh_token and record.refresh_token not in page.text
        assert record.access_token not in caplog.text and record.refresh_token not in caplog.text
        assert record.access_token not in str(browser.cookies) and record.access_token not in response.headers.get(
            "Location", ""
        )


def test_logout_needs_csrf_then_revokes_everything_and_ends_the_session(live_portal):
    browser = logged_in(live_portal, "alice")
    user_id = live_portal.user_id("alice")
    with live_portal.context():
        records = token_records.read_tokens(user_id)
    access_tokens = [record.access_token for record in records.values()]
    refresh_tokens = [record.refresh_token for record in records.values() if record.refresh_token]
    assert access_tokens and refresh_tokens

    refused = browser.post(live_portal.url("/logout"), allow_redirects=False, timeout=30)
    assert refused.status_code == 400
    refused_wrong = browser.post(
        live_portal.url("/logout"), data={"csrf_token": "forged"}, allow_redirects=False, timeout=30
    )
    assert refused_wrong.status_code == 400
    with live_portal.context():
        assert set(token_records.read_tokens(user_id)) == set(records), "a refused logout changes nothing"
    assert all(_introspect(live_portal, token)["active"] for token in access_tokens)

    dashboard = browser.get(live_portal.url("/"), timeout=30)
    old_cookie = browser.cookies.get("gateway_session")
    response = browser.post(
        live_portal.url("/logout"), data={"csrf_token": csrf_from(dashboard.text)}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert response.headers["Location"].startswith(live_portal.emulator.services["auth"].rstrip("/") + "/v2/web/logout")
    params = parse_qs(target.query)
    assert params["client"] == [live_portal.emulator.client("portal")["client_id"]]
    assert params["redirect_uri"] == [live_portal.url("/logged-out")]
    assert params["redirect_name"] == ["Science Gateway"]

    for token in access_tokens + refresh_tokens:
        assert _introspect(live_portal, token)["active"] is False
    # Introspection only describes access tokens; a revoked refresh token must also fail to refresh.
    for token in refresh_tokens:
        with pytest.raises(globus_sdk.AuthAPIError) as refused_refresh:
            _login_client(live_portal).oauth2_refresh_token(token)
        assert refused_refresh.value.http_status == 400 and refused_refresh.value.code == "invalid_grant"
    with live_portal.context():
        remaining = db.session.scalar(
            select(func.count()).select_from(StoredToken).where(StoredToken.user_id == user_id)
        )
    assert remaining == 0

    # The old session id is dead: presenting it again shows the visitor page.
    stale = requests.Session()
    stale.cookies.set("gateway_session", old_cookie)
    page = stale.get(live_portal.url("/"), timeout=30)
    assert "Log in with Globus" in page.text and "Alice Researcher" not in page.text
    goodbye = browser.get(live_portal.url("/logged-out"), timeout=30)
    assert goodbye.status_code == 200 and "logged out" in goodbye.text
