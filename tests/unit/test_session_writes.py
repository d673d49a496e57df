"""Stored sessions are written only when they change; the idle and absolute timeouts still hold."""

from __future__ import annotations

import time

from app.security.session_policy import CREATED_KEY, SEEN_KEY, SEEN_REFRESH_SECONDS, USER_KEY
from tests.session_store import read_stored

COOKIE = "gateway_session"


def _client_with_session(app, values: dict):
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(values)
    return client


def _logged_in(app, *, created_ago: int, seen_ago: int):
    now = int(time.time())
    return _client_with_session(app, {USER_KEY: 424242, CREATED_KEY: now - created_ago, SEEN_KEY: now - seen_ago})


def _stored_row(app, client) -> tuple[bytes, float]:
    return read_stored(app, client.get_cookie(COOKIE).value)


def test_an_unchanged_session_is_not_rewritten_on_each_request(portal_app):
    client = _logged_in(portal_app, created_ago=300, seen_ago=0)
    client.get("/no-such-page")  # the first page adds the session's CSRF token
    before = _stored_row(portal_app, client)
    time.sleep(1.1)  # a rewrite would move the stored expiry by at least this much
    for _ in range(3):
        response = client.get("/no-such-page")
        assert response.status_code == 404
        assert not response.headers.getlist("Set-Cookie")
    data_after, expiry_after = _stored_row(portal_app, client)
    # Redis reports a TTL, so the derived expiry wobbles by milliseconds; a rewrite moves it >= 1.1 s.
    assert data_after == before[0] and abs(expiry_after - before[1]) < 0.5


def test_a_session_seen_over_a_minute_ago_is_refreshed_in_storage_and_cookie(portal_app):
    client = _logged_in(portal_app, created_ago=600, seen_ago=SEEN_REFRESH_SECONDS + 5)
    _, expiry_before = _stored_row(portal_app, client)
    time.sleep(1.1)
    response = client.get("/no-such-page")
    assert any(cookie.startswith(COOKIE + "=") for cookie in response.headers.getlist("Set-Cookie"))
    _, expiry_after = _stored_row(portal_app, client)
    assert expiry_after > expiry_before
    with client.session_transaction() as session:
        assert session[SEEN_KEY] >= int(time.time()) - 5 and session[USER_KEY] == 424242


def test_the_idle_timeout_still_ends_a_session_that_was_not_rewritten(portal_app):
    idle_limit = portal_app.config["SESSION_IDLE_MINUTES"] * 60
    client = _logged_in(portal_app, created_ago=300, seen_ago=0)
    client.get("/no-such-page")
    # The last stored activity is now older than the idle limit (no request rewrote it since).
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(time.time()) - idle_limit - portal_app.config["SESSION_SEEN_REFRESH_SECONDS"] - 1
    page = client.get("/")
    assert b"session has expired" in page.data
    with client.session_transaction() as session:
        assert USER_KEY not in session


def test_the_absolute_timeout_is_exact_even_between_idle_refreshes(portal_app):
    absolute = portal_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    client = _logged_in(portal_app, created_ago=absolute + 1, seen_ago=0)
    client.get("/no-such-page")
    with client.session_transaction() as session:
        assert USER_KEY not in session


def test_a_logged_out_visitors_session_is_kept_alive_once_a_minute(portal_app):
    stale = int(time.time()) - SEEN_REFRESH_SECONDS - 5
    client = _client_with_session(portal_app, {"next_path": "/tasks/", SEEN_KEY: stale})
    _, expiry_before = _stored_row(portal_app, client)
    time.sleep(1.1)
    client.get("/no-such-page")
    _, expiry_after = _stored_row(portal_app, client)
    assert expiry_after > expiry_before
    with client.session_transaction() as session:
        assert session["next_path"] == "/tasks/" and session[SEEN_KEY] > stale
