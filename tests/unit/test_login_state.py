"""Anonymous logins store nothing server-side (issue #7 item 6); their sealed cookie cannot be forged."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models.server_session import ServerSession


def _stored_sessions(app) -> int:
    if app.config["SESSION_BACKEND"] == "redis":
        return sum(1 for _ in app.session_interface.client.scan_iter(match=app.session_interface.key_prefix + "*"))
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ServerSession))
        db.session.remove()
    return count


def _login_cookie(response) -> str:
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith("gateway_login="))


def test_two_hundred_anonymous_logins_write_no_session(portal_app):
    before = _stored_sessions(portal_app)
    for _ in range(200):
        response = portal_app.test_client().get("/login")
        assert response.status_code == 302
        assert "gateway_session=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert _stored_sessions(portal_app) == before


def test_the_pending_login_cookie_is_sealed_httponly_and_short_lived(portal_app):
    response = portal_app.test_client().get("/login")
    cookie = _login_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=900" in cookie
    location = response.headers["Location"]
    # The state, verifier and nonce never appear readable in the cookie.
    state = location.split("state=")[1].split("&")[0]
    assert state not in cookie and "verifier" not in cookie and "nonce" not in cookie


def test_a_forged_or_tampered_login_cookie_is_a_refused_login(portal_app):
    client = portal_app.test_client()
    response = client.get("/login")
    state = response.headers["Location"].split("state=")[1].split("&")[0]
    value = _login_cookie(response).split(";")[0].split("=", 1)[1]
    tampered = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    for forged in (tampered, "not-base64!", "", "x" * 4000):
        other = portal_app.test_client()
        other.set_cookie("gateway_login", forged)
        refused = other.get("/auth/callback", query_string={"state": state, "code": "c"})
        assert refused.status_code == 400 and b"does not belong to a login" in refused.data


def test_several_tabs_can_log_in_at_once(portal_app):
    client = portal_app.test_client()
    states = []
    for _ in range(3):
        states.append(client.get("/login").headers["Location"].split("state=")[1].split("&")[0])
    from app.security import login_state

    with portal_app.test_request_context(
        headers={"Cookie": f"gateway_login={client.get_cookie('gateway_login').value}"}
    ):
        from flask import request

        assert set(login_state.read_flows(request)) == set(states)
