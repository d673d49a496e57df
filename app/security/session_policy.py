"""Idle and absolute session timeouts, and who is logged in for this request (g.current_user_id)."""
from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, session

USER_KEY = "user_id"
CREATED_KEY = "_created_at"
SEEN_KEY = "_last_seen_at"


def start_authenticated_session(user_id: int) -> None:
    """Mark the (freshly regenerated) session as belonging to `user_id`."""
    now = int(time.time())
    session[USER_KEY] = user_id
    session[CREATED_KEY] = now
    session[SEEN_KEY] = now
    session.permanent = True
    g.current_user_id = user_id


def enforce_session_timeouts() -> None:
    """before_request hook: end sessions idle too long or older than the absolute limit."""
    g.current_user_id = None
    user_id = session.get(USER_KEY)
    if user_id is None:
        return
    now = int(time.time())
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute_limit = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    created = int(session.get(CREATED_KEY) or 0)
    seen = int(session.get(SEEN_KEY) or 0)
    if now - seen > idle_limit or now - created > absolute_limit:
        session.clear()
        flash("Your session has expired. Please log in again.", "info")
        return
    if now - seen >= 30:
        # Writing on every request would serialize all of a user's parallel requests.
        session[SEEN_KEY] = now
    g.current_user_id = user_id


def init_session_policy(app: Flask) -> None:
    """Install the timeout check before every request."""
    app.before_request(enforce_session_timeouts)
