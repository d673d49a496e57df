"""The JSON API (/api/v1) for other portals and scripts acting for a user, bearer tokens only.

A partner portal or a script holds a Globus token for the gateway's `gateway_api` scope; every
operation here calls the same services as the pages, acting with that token's dependent tokens
(app/services/api_auth.py). The OpenAPI document is at /api/v1/openapi.json, its page at
/api/v1/docs. No session is opened for these paths (app/security/bearer_only.py).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_api(app: Flask) -> None:
    """Register the API blueprint with its rate limits."""
    from app.api import (  # noqa: F401 - they register
        docs,
        errors,
        rate_limits,
        views_automations,
        views_files,
        views_me,
        views_tasks,
    )

    rate_limits.init_rate_limits(app, bp)
    app.register_blueprint(bp)
