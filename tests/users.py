"""The suite's test users and its one way to be logged in (a pytest plugin loaded from tests/conftest.py).

Users
    The emulator seeds alice, bob, carol and dave (`SEEDED_USERS`; docs/emulator.md has their
    roles). `emulator.user("alice")` gives a running emulator's record (identity id, password);
    `identity_id("alice")` is the same stable id without an emulator.

    `portal_user(app, "alice")` is that person's row in a portal database, with stored (encrypted)
    tokens: placeholder strings by default, for portals with no Globus behind them, or the real
    `by_resource_server` tokens of an emulator login.

Logged-in clients: `logged_in(target, user)`
    - a `LivePortal` and a username: a `requests.Session` that went through the real login
      (/login, the emulator's login and consent pages, /auth/callback);
    - a Flask app, a username and `emulator=`: a Flask test client after the same real login,
      in-process (the portal's callback runs in the test client, the emulator's pages over HTTP);
    - a Flask app and a username or user id: a Flask test client with a planted server-side
      session (no Globus call); a username gets its `portal_user` row first.

    `log_in_again(portal, browser, redirect, user)`: from the portal's redirect to /login (consent
    repair, an ended session) through the emulator and back to the callback.

Fixtures
    `alice_browser` … `dave_browser`: `logged_in(live_portal, name)`, once per test module.
    `alice_id` … `dave_id`: that user's portal id on the live portal, after a real login (so the
    row holds the tokens Globus Auth issued), once per test module.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.security import session_policy
from app.security.csrf import SESSION_KEY as CSRF_KEY
from app.security.session_policy import CREATED_KEY, SEEN_KEY, USER_KEY
from tests.emulator.helpers import run_browser

SEEDED_USERS = ("alice", "bob", "carol", "dave")
# What a planted session's CSRF token is (tests post it back with their forms).
PLANTED_CSRF = "the-real-token-of-this-session"
PLACEHOLDER_RESOURCE_SERVERS = ("transfer.api.globus.org", "search.api.globus.org")


def username_of(user: str) -> str:
    """'alice' -> 'alice@example.edu' (full usernames pass unchanged)."""
    return user if "@" in user else f"{user}@example.edu"


def identity_id(user: str) -> str:
    """The stable identity id the emulator seeds for a user (uuid5 of its username)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:identity:{username_of(user)}"))


def placeholder_tokens(user: str, *, expires_in: int = 3600, refresh: bool = False) -> dict[str, dict[str, Any]]:
    """Token data shaped like the SDK's `by_resource_server`, for portals with no Globus behind them."""
    short = username_of(user).split("@")[0]
    return {
        resource_server: {
            "scope": f"urn:globus:auth:scope:{resource_server}:all",
            "expires_at_seconds": int(time.time()) + expires_in,
            "access_token": f"access-{short}-{resource_server}",
            "refresh_token": f"refresh-{short}-{resource_server}" if refresh else None,
        }
        for resource_server in PLACEHOLDER_RESOURCE_SERVERS
    }


def portal_user(
    app: Flask,
    user: str,
    *,
    tokens: Mapping[str, Mapping[str, Any]] | None = None,
    identity: str | None = None,
) -> int:
    """The portal row of a seeded user (created if missing) holding `tokens`; returns its id.

    `tokens` maps resource servers to SDK token data (plus, optionally, the `requested_scopes` the
    login asked for); `None` stores `placeholder_tokens(user)` and an empty mapping stores none.
    """
    from app.extensions import db
    from app.models import User
    from app.services import token_records

    identity = identity or identity_id(user)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.primary_identity_id == identity))
        if user_id is None:
            row = User(primary_identity_id=identity, username=username_of(user))
            db.session.add(row)
            db.session.commit()
            user_id = row.id
        for resource_server, data in (placeholder_tokens(user) if tokens is None else tokens).items():
            token_records.save_token(
                user_id,
                resource_server,
                scopes=data["scope"],
                expires_at=data["expires_at_seconds"],
                access_token=data["access_token"],
                refresh_token=data.get("refresh_token"),
                requested_scopes=data.get("requested_scopes"),
            )
        db.session.remove()
    return user_id


def planted_client(app: Flask, values: Mapping[str, Any], *, permanent: bool = False) -> FlaskClient:
    """A Flask test client whose stored session holds exactly `values` (as an earlier visit left it)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(values)
        session.permanent = permanent
    return client


def logged_in(target: Any, user: str | int = "alice", **options: Any) -> Any:
    """A client logged in as `user`: see the module docstring for what each target gives."""
    if isinstance(target, Flask):
        if options.get("emulator") is not None:
            return _login_in_process(target, options.pop("emulator"), str(user), **options)
        return _planted_login(target, user, **options)
    return _login_through_browser(target, str(user), **options)


def log_in_again(
    portal: Any,
    browser: requests.Session,
    redirect: requests.Response,
    user: str,
    *,
    requested_scope: str | None = None,
) -> requests.Response:
    """Follow the portal's redirect to /login (consent repair, say) through the emulator and back.

    Returns the callback's response, not followed; `requested_scope` must be among the scopes the
    login asks Globus Auth for.
    """
    assert redirect.status_code == 302, redirect.text[:500]
    assert redirect.headers["Location"].startswith("/login?"), redirect.headers["Location"]
    start = browser.get(portal.url(redirect.headers["Location"]), allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text[:500]
    authorize_url = start.headers["Location"]
    if requested_scope is not None:
        assert requested_scope in parse_qs(urlsplit(authorize_url).query)["scope"][0], authorize_url
    back = browser.get(portal.authorize(browser, authorize_url, user), allow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text[:500]
    return back


def _login_through_browser(portal: Any, user: str, *, browser: requests.Session | None = None) -> requests.Session:
    browser, response = portal.login(user, browser=browser)
    assert response.status_code == 302 and response.headers["Location"] == "/", response.text[:800]
    return browser


def _login_in_process(app: Flask, emulator: Any, user: str) -> FlaskClient:
    client = app.test_client()
    start = client.get("/login")
    assert start.status_code == 302, start.data[:500]
    result = run_browser(emulator, start.headers["Location"], user)
    callback = urlsplit(result.redirect_url)
    assert callback.path == "/auth/callback", result.redirect_url
    done = client.get(callback.path, query_string=parse_qs(callback.query))
    assert done.status_code == 302 and done.headers["Location"] == "/", done.data[:800]
    return client


def _planted_login(
    app: Flask, user: str | int, *, created_ago: int = 60, seen_ago: int = 0, csrf_token: str | None = PLANTED_CSRF
) -> FlaskClient:
    # Times come from session_policy.clock, so a test that moves that clock moves these too.
    now = int(session_policy.clock())
    user_id = user if isinstance(user, int) else portal_user(app, user, tokens={})
    values: dict[str, Any] = {USER_KEY: user_id, CREATED_KEY: now - created_ago, SEEN_KEY: now - seen_ago}
    if csrf_token is not None:
        values[CSRF_KEY] = csrf_token
    # Permanent, as start_authenticated_session makes a real login's session.
    return planted_client(app, values, permanent=True)


def _browser_fixture(user: str) -> Callable[..., requests.Session]:
    @pytest.fixture(scope="module", name=f"{user}_browser")
    def browser(live_portal: Any) -> requests.Session:
        return logged_in(live_portal, user)

    browser.__doc__ = f"A browser logged in to the live portal as {user} (once per test module)."
    return browser


def _id_fixture(user: str) -> Callable[..., int]:
    @pytest.fixture(scope="module", name=f"{user}_id")
    def portal_id(live_portal: Any) -> int:
        logged_in(live_portal, user)
        return live_portal.user_id(user)

    portal_id.__doc__ = f"{user}'s portal user id on the live portal, after a real login (once per module)."
    return portal_id


alice_browser = _browser_fixture("alice")
bob_browser = _browser_fixture("bob")
carol_browser = _browser_fixture("carol")
dave_browser = _browser_fixture("dave")
alice_id = _id_fixture("alice")
bob_id = _id_fixture("bob")
carol_id = _id_fixture("carol")
dave_id = _id_fixture("dave")
