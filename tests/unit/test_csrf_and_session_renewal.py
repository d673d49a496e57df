"""CSRF on every state-changing route (found by the issue #3 security review), and a new session id at expiry and logout."""

from __future__ import annotations

import uuid

import pytest

from app.security.bearer_only import is_bearer_only
from app.security.csrf import SESSION_KEY, CSRFError
from app.security.session_policy import USER_KEY
from tests.users import PLANTED_CSRF, logged_in

PROTECTED = {"POST", "PUT", "PATCH", "DELETE"}
SAMPLE_BY_CONVERTER = {"IntegerConverter": 1, "UUIDConverter": uuid.UUID(int=1), "PathConverter": "a/b"}


def _sample_values(rule) -> dict:
    return {
        name: SAMPLE_BY_CONVERTER.get(type(converter).__name__, "x") for name, converter in rule._converters.items()
    }


def _state_changing_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        _, path = rule.build(_sample_values(rule), append_unknown=False)
        routes.extend((method, path) for method in sorted((rule.methods or set()) & PROTECTED))
    return routes


def test_every_state_changing_route_refuses_a_request_without_csrf(portal_app):
    # The JSON API is bearer-only (no session, so no CSRF token): its routes are checked below.
    routes = [(method, path) for method, path in _state_changing_routes(portal_app) if not is_bearer_only(path)]
    assert ("POST", "/logout") in routes  # the walk really sees the portal's routes
    client = logged_in(portal_app, 424242, seen_ago=60)
    unprotected = []
    for method, path in routes:
        for data in ({}, {"csrf_token": "a-token-from-somewhere-else"}):
            response = client.open(path, method=method, data=data, headers={"Accept": "text/html"})
            if response.status_code != 400 or CSRFError.description.encode() not in response.data:
                unprotected.append((method, path, data, response.status_code))
    assert unprotected == []


def test_every_api_route_refuses_a_logged_in_session_without_a_bearer_token(portal_app):
    routes = [(method, path) for method, path in _state_changing_routes(portal_app) if is_bearer_only(path)]
    assert ("POST", "/api/v1/transfers") in routes
    client = logged_in(portal_app, 424242, seen_ago=60)
    for method, path in routes:
        response = client.open(path, method=method, json={}, headers={"X-CSRF-Token": PLANTED_CSRF})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")
        assert "Set-Cookie" not in response.headers


def test_an_expired_session_gets_a_new_id(portal_app):
    idle_limit = portal_app.config["SESSION_IDLE_MINUTES"] * 60
    client = logged_in(
        portal_app,
        424242,
        created_ago=idle_limit + 100,
        seen_ago=idle_limit + portal_app.config["SESSION_SEEN_REFRESH_SECONDS"] + 10,
    )
    old_cookie = client.get_cookie("gateway_session").value
    page = client.get("/")
    assert b"session has expired" in page.data
    new_cookie = client.get_cookie("gateway_session")
    # The notice is shown on this very page, so the emptied session is not stored: its cookie goes.
    assert new_cookie is None
    # The old id is gone from the store: presenting it again finds an empty session.
    replay = portal_app.test_client()
    replay.set_cookie("gateway_session", old_cookie)
    with replay.session_transaction() as session:
        assert USER_KEY not in session and SESSION_KEY not in session


def test_logout_destroys_the_stored_session(portal_app):
    client = logged_in(portal_app, 424242, seen_ago=60)
    old_cookie = client.get_cookie("gateway_session").value
    response = client.post("/logout", data={"csrf_token": PLANTED_CSRF})
    assert response.status_code == 302
    replay = portal_app.test_client()
    replay.set_cookie("gateway_session", old_cookie)
    with replay.session_transaction() as session:
        assert USER_KEY not in session and SESSION_KEY not in session


@pytest.mark.parametrize("target", ["https://evil.example.org/", "//evil.example.org/", "/\\evil.example.org"])
def test_login_next_never_leaves_the_site_even_when_already_logged_in(portal_app, target):
    response = logged_in(portal_app, 424242, seen_ago=60).get("/login", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_trusted_hosts_refuse_a_forged_host_header(tmp_path):
    # Login and logout build absolute URLs (redirect_uri) from the Host header; production pins it.
    from tests.portal_fixtures import build_migrated_app, portal_overrides

    app = build_migrated_app(portal_overrides(tmp_path / "i", TRUSTED_HOSTS="gateway.example.org, .example.net"))
    client = app.test_client()
    assert client.get("/", base_url="http://gateway.example.org").status_code == 200
    assert client.get("/", base_url="http://portal.example.net").status_code == 200
    forged = client.get("/login", base_url="http://evil.example.com")
    assert forged.status_code == 400 and "evil.example.com" not in forged.headers.get("Location", "")


def test_trusted_hosts_default_to_any_host_outside_production(tmp_path):
    from app.settings import load_settings

    assert load_settings({"GATEWAY_INSTANCE_DIR": str(tmp_path)})["TRUSTED_HOSTS"] is None
    pinned = load_settings({"GATEWAY_INSTANCE_DIR": str(tmp_path), "TRUSTED_HOSTS": "a.example.org,b.example.org"})
    assert pinned["TRUSTED_HOSTS"] == ["a.example.org", "b.example.org"]


def test_a_crash_page_still_carries_the_security_headers_and_no_store(portal_app):
    from flask import Blueprint

    crash_bp = Blueprint("crash_review", __name__)

    @crash_bp.get("/_review/crash")
    def crash():
        raise RuntimeError("upstream said: access_token=AgSecretValue1234567890")

    portal_app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    portal_app.register_blueprint(crash_bp)
    response = portal_app.test_client().get("/_review/crash")
    assert response.status_code == 500 and "AgSecretValue" not in response.get_data(as_text=True)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_userinfo_for_another_subject_than_the_id_token_is_refused(portal_app):
    # OIDC Core 5.3.2: userinfo's sub must equal the id_token's, or its claims must not be used.
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.identity import User
    from app.services.errors import LoginRefused
    from app.services.users import upsert_user_from_login

    claims = {"sub": str(uuid.UUID(int=11)), "preferred_username": "victim@example.edu", "name": "Victim"}
    userinfo = {
        "sub": str(uuid.UUID(int=22)),
        "preferred_username": "mallory@example.edu",
        "identity_set": [{"sub": str(uuid.UUID(int=22)), "username": "mallory@example.edu"}],
    }
    with portal_app.app_context():
        with pytest.raises(LoginRefused) as refused:
            upsert_user_from_login(claims, userinfo)
        assert refused.value.code == "login_refused"
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        user_id = upsert_user_from_login(claims, {**userinfo, "sub": claims["sub"]})
        assert db.session.get(User, user_id).primary_identity_id == claims["sub"]
