"""Who is logged in, and the decorator that sends anonymous visitors to login."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import g, jsonify, redirect, request, url_for

from app.security.redirects import safe_next_path

F = TypeVar("F", bound=Callable)


def current_user_id() -> int | None:
    """The id of the logged-in user of this request, or None."""
    return g.get("current_user_id")


def login_required(view: F) -> F:
    """Run the view only for a logged-in user; others go to login (and come back), or get 401 JSON."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user_id() is None:
            if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
                return jsonify({"error": "login_required", "message": "Log in first."}), 401
            next_path = safe_next_path(request.full_path.rstrip("?")) if request.method == "GET" else None
            return redirect(url_for("auth.login", next=next_path or request.path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
