"""Rate limits per caller identity and per client (Flask-Limiter), 429 with Retry-After.

Counted in memory by default (one process: each gunicorn worker counts on its own, so the real
limit is up to workers x the setting); with API_RATE_LIMIT_STORAGE=redis://... (or the Redis
session backend) every worker and host shares one count.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, request
from flask_limiter import Limiter

from app.api.caller import current_caller

DEFAULTS = {
    "API_RATE_LIMIT_PER_IDENTITY": "600 per minute",
    "API_RATE_LIMIT_PER_CLIENT": "3000 per minute",
}
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document", "api.docs_page", "api.docs_asset"})


def setting(app: Flask, name: str, default: str) -> str:
    """An API setting: the app's config (tests, overrides), else the environment, else the default."""
    value = app.config.get(name) or os.environ.get(name)
    return str(value) if value else default


def storage_uri(app: Flask) -> str:
    """Where the counts live: API_RATE_LIMIT_STORAGE, Redis when the sessions are there, else memory."""
    configured = setting(app, "API_RATE_LIMIT_STORAGE", "")
    if configured:
        return configured
    if app.config.get("SESSION_BACKEND") == "redis":
        return str(app.config["REDIS_URL"])
    return "memory://"


def _identity_key() -> str:
    return "identity:" + current_caller().identity_id


def _client_key() -> str:
    return "client:" + (current_caller().client_id or "unknown")


def _public() -> bool:
    return request.endpoint in PUBLIC_ENDPOINTS


def init_rate_limits(app: Flask, bp: Blueprint) -> None:
    """One Limiter per app, limiting the API blueprint twice: per identity and per client."""
    limiter = Limiter(
        key_func=_identity_key,
        storage_uri=storage_uri(app),
        headers_enabled=True,
        strategy="fixed-window",
        key_prefix="gateway-api",
        enabled=setting(app, "API_RATE_LIMITS_ENABLED", "true") != "false",
    )
    limiter.init_app(app)
    per_identity = setting(app, "API_RATE_LIMIT_PER_IDENTITY", DEFAULTS["API_RATE_LIMIT_PER_IDENTITY"])
    per_client = setting(app, "API_RATE_LIMIT_PER_CLIENT", DEFAULTS["API_RATE_LIMIT_PER_CLIENT"])
    limiter.limit(per_identity, key_func=_identity_key, exempt_when=_public, scope="identity")(bp)
    limiter.limit(per_client, key_func=_client_key, exempt_when=_public, scope="client")(bp)
    app.extensions["api_limiter"] = limiter
