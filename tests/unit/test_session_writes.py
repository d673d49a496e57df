"""Stored sessions are written only when they change; the idle and absolute timeouts still hold.

Whether a request rewrote the stored session shows in its expiry: each test moves the stored expiry
an hour back first (tests/session_store.py), and a rewrite sets it to now + the idle lifetime again.
"""

from __future__ import annotations

import time

from app.security.session_policy import SEEN_KEY, SEEN_REFRESH_SECONDS, USER_KEY
from tests.session_store import read_stored, shift_stored_expiry
from tests.users import logged_in, planted_client

COOKIE = "gateway_session"
MARK = -3600  # seconds the stored expiry is moved back before the requests under test


def _logged_in(app, *, created_ago: int, seen_ago: int):
    return logged_in(app, 424242, created_ago=created_ago, seen_ago=seen_ago, csrf_token=None)


def _stored_row(app, client) -> tuple[bytes, float]:
    return read_stored(app, client.get_cookie(COOKIE).value)


def _mark_stored_expiry(app, client) -> float:
    shift_stored_expiry(app, client.get_cookie(COOKIE).value, MARK)
    return _stored_row(app, client)[1]


def test_an_unchanged_session_is_not_rewritten_on_each_request(portal_app):
    client = _logged_in(portal_app, created_ago=300, seen_ago=0)
    client.get("/no-such-page")  # the first page adds the session's CSRF token
    data_before, _ = _stored_row(portal_app, client)
    marked = _mark_stored_expiry(portal_app, client)
    for _ in range(3):
        response = client.get("/no-such-page")
        assert response.status_code == 404
        assert not response.headers.getlist("Set-Cookie")
    data_after, expiry_after = _stored_row(portal_app, client)
    # Redis reports a TTL, so the derived expiry wobbles by milliseconds; a rewrite moves it an hour.
    assert data_after == data_before and abs(expiry_after - marked) < 0.5


def test_a_session_seen_over_a_minute_ago_is_refreshed_in_storage_and_cookie(portal_app):
    client = _logged_in(portal_app, created_ago=600, seen_ago=SEEN_REFRESH_SECONDS + 5)
    marked = _mark_stored_expiry(portal_app, client)
    response = client.get("/no-such-page")
    assert any(cookie.startswith(COOKIE + "=") for cookie in response.headers.getlist("Set-Cookie"))
    _, expiry_after = _stored_row(portal_app, client)
    assert expiry_after - marked > -MARK - 60
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
    client = planted_client(portal_app, {"next_path": "/tasks/", SEEN_KEY: stale})
    marked = _mark_stored_expiry(portal_app, client)
    client.get("/no-such-page")
    _, expiry_after = _stored_row(portal_app, client)
    assert expiry_after - marked > -MARK - 60
    with client.session_transaction() as session:
        assert session["next_path"] == "/tasks/" and session[SEEN_KEY] > stale
