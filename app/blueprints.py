"""Every blueprint of the portal, registered in one place. Feature packages append theirs here."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register each feature blueprint on the app."""
    from app.auth import bp as auth_bp
    from app.automations import bp as automations_bp
    from app.browse import bp as browse_bp
    from app.collections import bp as collections_bp
    from app.dashboard import bp as dashboard_bp
    from app.notifications import bp as notifications_bp
    from app.ops import bp as ops_bp
    from app.tasks import bp as tasks_bp
    from app.transfers import bp as transfers_bp

    blueprints = [
        auth_bp,
        dashboard_bp,
        collections_bp,
        browse_bp,
        transfers_bp,
        tasks_bp,
        automations_bp,
        notifications_bp,
        ops_bp,
    ]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    # The JSON API registers itself with its rate limits (app/api/__init__.py).
    from app.api import init_api

    init_api(app)
