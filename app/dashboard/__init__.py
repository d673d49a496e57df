"""The home page: a welcome for visitors, the dashboard for logged-in users."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from app.dashboard import views  # noqa: E402,F401  (routes register on import)
