"""Who is logged in, and the decorator that sends anonymous visitors to login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import g, jsonify, redirect, request, url_for

from app.security.csrf import SessionEnded
from app.security.redirects import safe_next_path

F = TypeVar("F", bound=Callable)


def current_user_id() -> int | None:
    """The id of the logged-in user of this request, or None."""
    return g.get("current_user_id")


def signed_in_user_id() -> int:
    """The id of the logged-in user, in a view behind @login_required (which guarantees one)."""
    user_id = g.get("current_user_id")
    if user_id is None:
        raise RuntimeError("signed_in_user_id() called outside a @login_required view")
    return user_id


def login_required(view: F) -> F:
    """Run the view only for a logged-in user; others go to login (and come back), or get 401 JSON."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user_id() is None:
            if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
                return jsonify({"error": "login_required", "message": "Log in first."}), 401
            if request.method != "GET":
                # A form posted without a session: said as such, its fields kept for after login.
                raise SessionEnded()
            next_path = safe_next_path(request.full_path.rstrip("?"))
            return redirect(url_for("auth.login", next=next_path or url_for("dashboard.index")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
