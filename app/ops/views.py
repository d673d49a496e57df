"""GET /healthz, /readyz and /metrics: for load balancers, orchestrators and Prometheus."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from app.ops import bp
from app.ops.metrics import scrape
from app.ops.readiness import check_readiness


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. No database, no network."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when the database, Redis sessions and (as last seen) Globus Auth are fine, else 503."""
    readiness = check_readiness(current_app)
    return jsonify(readiness.as_dict()), 200 if readiness.ready else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text format, when METRICS_TOKEN / METRICS_ENABLED allow it (404 otherwise)."""
    result = scrape(current_app.config, request.headers.get("Authorization"))
    return Response(result.body, result.status, headers=result.headers)
