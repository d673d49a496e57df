"""One JSON error shape for the API: {"error", "message", "request_id", "details"}.

401 and 403 carry an RFC 6750 WWW-Authenticate header; 429 and 503 carry Retry-After.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.api.spec import RequestInvalid
from app.ops.request_context import current_request_id
from app.services.api_auth import BearerRejected
from app.services.errors import (
    CollectionUnavailable,
    DomainError,
    InvalidRequest,
    ReauthenticationRequired,
    RemoteUnavailable,
)

log = logging.getLogger(__name__)
REALM = "science-gateway"
RETRY_AFTER_SECONDS = 30


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response:
    """The API's error body with its status."""
    response = jsonify(
        {"error": code, "message": message, "request_id": current_request_id(), "details": details or {}}
    )
    response.status_code = status
    if status in (401, 403):
        response.headers.setdefault("WWW-Authenticate", f'Bearer realm="{REALM}"')
    return response


@bp.errorhandler(BearerRejected)
def bearer_rejected(error: BearerRejected) -> Response:
    """A missing or unacceptable token: 401 (or 403 for the wrong scope) with WWW-Authenticate."""
    response = error_response(error.status_code, error.code, error.message)
    response.headers["WWW-Authenticate"] = error.www_authenticate(REALM)
    return response


@bp.errorhandler(ReauthenticationRequired)
def consent_required(error: ReauthenticationRequired) -> Response:
    """Globus wants more consent (e.g. a collection's data_access): the caller must ask the user for it."""
    response = error_response(403, "consent_required", error.message, {"required_scopes": error.scopes})
    scope = " ".join(error.scopes)
    response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="insufficient_scope"' + (
        f', scope="{scope}"' if scope else ""
    )
    return response


@bp.errorhandler(RemoteUnavailable)
def unavailable(error: RemoteUnavailable) -> Response:
    """A Globus service or collection is down: 503 naming it, with Retry-After."""
    details: dict[str, Any] = {"service": error.service}
    if isinstance(error, CollectionUnavailable) and error.collection_name:
        details["collection"] = error.collection_name
    response = error_response(503, error.code, error.message, details)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> Response:
    """Invalid request, not found, permission denied, storage refusal: the service's own words."""
    details: dict[str, Any] = {}
    if isinstance(error, RequestInvalid):
        details["errors"] = error.errors
    elif isinstance(error, InvalidRequest) and error.field:
        details["field"] = error.field
    status = error.status_code if 400 <= error.status_code < 600 else 500
    return error_response(status, error.code, error.message, details)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Werkzeug's errors (404, 405, 413, 429...) in the same shape; 429 keeps its Retry-After."""
    status = error.code or 500
    code = "rate_limited" if status == 429 else error.name.lower().replace(" ", "_")
    message = (
        "Too many requests; slow down and retry after the time in Retry-After."
        if status == 429
        else (error.description or error.name)
    )
    if status >= 500:
        message = "Something went wrong on our side. Please try again."
    response = error_response(status, code, message)
    original = error.get_response()
    for name in ("Retry-After", "Allow"):
        if name in original.headers:
            response.headers[name] = original.headers[name]
    return response
