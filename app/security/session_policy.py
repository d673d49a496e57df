"""Idle and absolute session timeouts, and who is logged in for this request (g.current_user_id)."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, session

USER_KEY = "user_id"
# The signed-in person's name for the page header, kept at login so no page reads the user row for it.
NAME_KEY = "_user_name"
MAX_NAME_LENGTH = 80
CREATED_KEY = "_created_at"
SEEN_KEY = "_last_seen_at"
# The stored session (and its cookie) is rewritten only when it changes, so the idle stamp is
# refreshed at most every SESSION_SEEN_REFRESH_SECONDS (a tenth of the idle limit, at most a
# minute): one write a minute per active session. The stamp may therefore lag the last request by
# that much, and the idle check allows for it: a session ends up to that many seconds late, never
# while its user is active.
SEEN_REFRESH_SECONDS = 60
# The time source, replaceable by tests (an injected clock instead of sleeps).
clock = time.time


def start_authenticated_session(user_id: int, display_name: str = "") -> None:
    """Mark the (freshly regenerated) session as belonging to `user_id` (shown as `display_name`)."""
    now = int(clock())
    session[USER_KEY] = user_id
    if display_name:
        session[NAME_KEY] = display_name.strip()[:MAX_NAME_LENGTH]
    session[CREATED_KEY] = now
    session[SEEN_KEY] = now
    session.permanent = True
    g.current_user_id = user_id


def signed_in_name() -> str:
    """The name of the person logged in with this session ("" when unknown or logged out)."""
    if g.get("current_user_id") is None:
        return ""
    return str(session.get(NAME_KEY) or "")


def enforce_session_timeouts() -> None:
    """before_request hook: end sessions idle too long or older than the absolute limit."""
    g.current_user_id = None
    now = int(clock())
    user_id = session.get(USER_KEY)
    if user_id is None:
        _keep_anonymous_session_alive(now)
        return
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    refresh = current_app.config["SESSION_SEEN_REFRESH_SECONDS"]
    absolute_limit = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    created = int(session.get(CREATED_KEY) or 0)
    seen = int(session.get(SEEN_KEY) or 0)
    if now - seen > idle_limit + refresh or now - created > absolute_limit:
        session.clear()
        flash("Your session has expired. Please log in again.", "info")
        return
    if now - seen >= refresh:
        session[SEEN_KEY] = now
    g.current_user_id = user_id


def _keep_anonymous_session_alive(now: int) -> None:
    # A logged-out visitor's session (CSRF token, login state) must not expire in storage while
    # they keep using the site, now that unchanged sessions are not rewritten on every request.
    if session and now - int(session.get(SEEN_KEY) or 0) >= SEEN_REFRESH_SECONDS:
        session[SEEN_KEY] = now


def init_session_policy(app: Flask) -> None:
    """Install the timeout check before every request."""
    app.before_request(enforce_session_timeouts)
