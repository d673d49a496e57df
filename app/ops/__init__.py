"""Operations: health and readiness probes, request ids, structured logs and metrics.

The probes and /metrics are for machines: no login, and no session — their cookie, if any, is
dropped before the session is opened, so they never read, create or send a session.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from app.ops.auth_reachability import init_auth_reachability
from app.ops.metrics import init_metrics
from app.ops.request_context import current_request_id, init_request_id

bp = Blueprint("ops", __name__)
SESSIONLESS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class DropCookiesOnProbes:
    """WSGI middleware: requests to SESSIONLESS_PATHS reach the app without a Cookie header."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        """Remove the cookie of a probe request, then call the app."""
        if environ.get("PATH_INFO") in SESSIONLESS_PATHS:
            environ.pop("HTTP_COOKIE", None)
        return self.wsgi_app(environ, start_response)


def init_ops(app: Flask) -> None:
    """Install request ids and metrics first (so later hooks log with the id), and the probe middleware."""
    init_request_id(app)
    init_metrics(app)
    init_auth_reachability(app)
    app.wsgi_app = DropCookiesOnProbes(app.wsgi_app)  # type: ignore[method-assign]
    # Error pages ask the user to quote this id.
    app.context_processor(lambda: {"request_id": current_request_id()})


from app.ops import views  # noqa: E402, F401  (routes register on import, after bp exists)
