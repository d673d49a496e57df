"""Globus-shaped JSON errors: every failure the emulator reports is `{code, message, request_id}`.

Views raise `GlobusError` (or a subclass); one handler turns it into the JSON body and status the
real services use, so the SDK parses it into a `GlobusAPIError` with the right `code`.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException


def new_request_id() -> str:
    """A request id in the style Globus uses (random, 9 url-safe characters)."""
    return secrets.token_urlsafe(7)[:9]


class GlobusError(Exception):
    """An error answered as Globus does: HTTP status + `code` + `message` (+ extra fields)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body = {"code": self.code, "message": self.message, "request_id": new_request_id()}
        body.update(self.extra)
        return body


def bad_request(message: str, code: str = "BadRequest") -> GlobusError:
    return GlobusError(400, code, message)


def not_found(message: str, code: str = "ClientError.NotFound") -> GlobusError:
    return GlobusError(404, code, message)


def permission_denied(message: str, code: str = "PermissionDenied") -> GlobusError:
    return GlobusError(403, code, message)


def unauthorized(message: str = "No valid bearer token.", code: str = "AuthenticationFailed") -> GlobusError:
    return GlobusError(401, code, message)


def register_error_handlers(app: Flask) -> None:
    """One place that turns every error, expected or not, into a Globus JSON body."""

    @app.errorhandler(GlobusError)
    def _globus_error(err: GlobusError):
        return jsonify(_with_resource(err.to_dict())), err.status

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        code = {404: "ClientError.NotFound", 405: "ClientError.MethodNotAllowed"}.get(
            err.code or 500, "ClientError.BadRequest" if (err.code or 500) < 500 else "ServerError"
        )
        body = {"code": code, "message": err.description or err.name, "request_id": new_request_id()}
        return jsonify(_with_resource(body)), err.code or 500

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        # A bug in the emulator must still look like a Globus 500 to the client, and be logged
        # with its traceback for whoever runs the emulator.
        app.logger.exception("unhandled emulator error")
        body = {"code": "ServerError", "message": "Internal error in the emulator.", "request_id": new_request_id()}
        return jsonify(body), 500


def _with_resource(body: dict[str, Any]) -> dict[str, Any]:
    # Transfer's error documents name the resource path they came from (e.g. "/v0.10/operation/endpoint/<id>/ls").
    if has_request_context() and request.path.startswith("/transfer/"):
        body.setdefault("resource", request.path[len("/transfer") :])
    return body
