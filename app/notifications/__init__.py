"""Notifications: the bell in the header, the list, mark read, and the preferences form."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from app.notifications import views  # noqa: E402,F401  (routes register on import)
