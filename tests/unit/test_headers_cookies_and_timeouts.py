"""CSRF, security headers, cookies and session timeouts, on a local portal (Flask test client)."""

from __future__ import annotations

import time

import pytest
from flask import Blueprint, render_template_string, session
from flask.sessions import NullSession

from app import create_app
from app.security.session_policy import SEEN_KEY, USER_KEY
from tests.portal_fixtures import build_migrated_app, portal_overrides
from tests.users import logged_in

hygiene_bp = Blueprint("hygiene", __name__)


@hygiene_bp.route("/_hygiene/change", methods=["POST", "PUT", "PATCH", "DELETE"])
def change():
    return "changed"


@hygiene_bp.get("/_hygiene/form")
def form():
    return render_template_string("<form method=post><input name=csrf_token value='{{ csrf_token() }}'></form>")


api_bp = Blueprint("hygiene_api", __name__, url_prefix="/api/hygiene")


@api_bp.post("/things")
def api_change():
    # What a view under /api/ can see of the browser's session: nothing (the null session).
    return {"null_session": isinstance(session, NullSession), "csrf": session.get("_csrf_token")}


@pytest.fixture
def app(portal_app):
    portal_app.register_blueprint(hygiene_bp)
    portal_app.register_blueprint(api_bp)
    return portal_app


def _csrf(client) -> str:
    client.get("/_hygiene/form")
    with client.session_transaction() as session:
        return session["_csrf_token"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_state_changing_requests_need_the_csrf_token(app, method):
    client = app.test_client()
    token = _csrf(client)
    refused = getattr(client, method)("/_hygiene/change")
    assert refused.status_code == 400 and b"expired" in refused.data
    assert getattr(client, method)("/_hygiene/change", data={"csrf_token": "wrong"}).status_code == 400
    assert getattr(client, method)("/_hygiene/change", data={"csrf_token": token}).status_code == 200
    assert getattr(client, method)("/_hygiene/change", headers={"X-CSRF-Token": token}).status_code == 200


def test_a_token_from_another_session_is_refused(app):
    victim, attacker = app.test_client(), app.test_client()
    _csrf(victim)
    attacker_token = _csrf(attacker)
    assert victim.post("/_hygiene/change", data={"csrf_token": attacker_token}).status_code == 400


def test_api_paths_never_see_the_session_so_no_csrf_token_is_checked_there(app):
    # CSRF guards what the session cookie authorises; under /api/ the cookie is never read (a
    # null session, app/server_sessions.py), so a forged cross-site POST there carries nothing.
    client = app.test_client()
    _csrf(client)  # the browser holds a real session with a CSRF token
    answer = client.post("/api/hygiene/things")
    assert answer.status_code == 200
    assert answer.json == {"null_session": True, "csrf": None}
    assert "Set-Cookie" not in answer.headers


def test_csrf_refusal_is_json_for_json_clients(app):
    response = app.test_client().post("/_hygiene/change", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["error"] == "bad_request"


def test_security_headers_on_every_response(app):
    client = app.test_client()
    for path in ("/", "/no-such-page", "/static/css/gateway.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # only in production
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(app):
    client = app.test_client()
    _csrf(client)
    cookie = client.get_cookie("gateway_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_production_cookie_is_host_prefixed_and_secure_and_hsts_is_sent(tmp_path):
    app = build_migrated_app(
        portal_overrides(
            tmp_path / "instance",
            GATEWAY_ENV="production",
            SECRET_KEY="9d41c7e2b8a05f36e1d94c2a7b3f08e5",
            PREFERRED_URL_SCHEME="https",
            TRUSTED_HOSTS="gateway.example.org",
        )
    )
    app.register_blueprint(hygiene_bp)
    client = app.test_client()
    response = client.get("/", base_url="https://gateway.example.org")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    form_page = client.get("/_hygiene/form", base_url="https://gateway.example.org")
    set_cookie = " ".join(form_page.headers.getlist("Set-Cookie"))
    assert "__Host-gateway_session=" in set_cookie
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "Path=/" in set_cookie
    assert "Domain=" not in set_cookie


def test_idle_sessions_end(app):
    idle_limit = app.config["SESSION_IDLE_MINUTES"] * 60
    client = logged_in(
        app, 424242, created_ago=idle_limit + 100, seen_ago=idle_limit + app.config["SESSION_SEEN_REFRESH_SECONDS"] + 10
    )
    page = client.get("/")
    assert b"session has expired" in page.data
    with client.session_transaction() as session:
        assert USER_KEY not in session


def test_sessions_end_after_the_absolute_limit_even_when_active(app):
    absolute = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    client = logged_in(app, 424242, created_ago=absolute + 5, seen_ago=5)
    client.get("/")
    with client.session_transaction() as session:
        assert USER_KEY not in session


def test_active_sessions_continue(app):
    client = logged_in(app, 424242, created_ago=600, seen_ago=120)
    client.get("/no-such-page")
    with client.session_transaction() as session:
        assert session[USER_KEY] == 424242 and session[SEEN_KEY] >= int(time.time()) - 5


def test_app_starts_without_globus_settings_in_test_mode(tmp_path):
    app = create_app(portal_overrides(tmp_path / "i", GLOBUS_CLIENT_ID=None, GLOBUS_CLIENT_SECRET=None))
    assert app.config["GLOBUS_CLIENT_ID"] is None
