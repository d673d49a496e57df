"""Dashboard route."""

from __future__ import annotations

from flask import render_template, session

from app.auth.access import current_user_id
from app.dashboard import bp
from app.features import available_features
from app.services.dashboard import dashboard_for


@bp.get("/")
def index():
    """Visitors see what the portal is; logged-in users see who they are and what it holds for them."""
    user_id = current_user_id()
    dashboard = dashboard_for(user_id) if user_id is not None else None
    if user_id is not None and dashboard is None:
        # The account was removed while this session was alive.
        session.clear()
    if dashboard is None:
        return render_template("dashboard/welcome.html")
    return render_template("dashboard/index.html", dashboard=dashboard, features=available_features())
