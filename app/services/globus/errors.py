"""The one translation of globus_sdk failures into the portal's domain errors.

Use as a context manager or decorator: `with globus_errors("transfer"): tc.operation_ls(...)`.
"""

from __future__ import annotations

import logging
from contextlib import ContextDecorator
from types import TracebackType

import globus_sdk
from globus_sdk.gare import to_gare

from app.services.errors import (
    SERVICE_NAMES,
    CollectionUnavailable,
    InvalidRequest,
    ReauthenticationRequired,
    RemoteNotFound,
    RemotePermissionDenied,
    RemoteUnavailable,
    StoragePermissionDenied,
    StorageRefused,
)

log = logging.getLogger(__name__)

# Auth errors meaning "the stored grant is no longer good": the user has to log in again.
_DEAD_GRANT_CODES = {"invalid_grant", "invalid_token", "AuthenticationFailed", "TokenExpired"}
_UNAVAILABLE_STATUSES = {429, 500, 502, 503, 504}
# Transfer answers 502 `ExternalError.<Operation>.<Reason>` when the collection's storage refused
# (mkdir onto an existing name, ls of a file, a storage permission error): the storage answering, so
# the user's to fix. Only the reasons below mean the collection itself cannot be reached.
_COLLECTION_DOWN_REASONS = {"GCDisconnected", "ConnectFailed"}
# A collection (or a guest collection's host) made unavailable answers 503 EndpointError.
_COLLECTION_DOWN_CODES = {"EndpointError"}
# Unknown reasons are 409: the storage's state conflicts with the request.
_STORAGE_REFUSAL_STATUS = {"NotDirectory": 400, "NameTooLong": 400}
_STORAGE_PERMISSION_REASONS = {"PermissionDenied", "LoginFailed"}


class globus_errors(ContextDecorator):  # noqa: N801 - reads as a verb phrase at call sites
    """Re-raise GlobusAPIError / NetworkError from the block as domain errors for `service`."""

    def __init__(self, service: str):
        self.service = service

    def __enter__(self) -> globus_errors:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Returning None (never True) tells readers and type checkers that nothing is swallowed.
        if exc is None:
            return
        translated = translate(exc, self.service)
        if translated is None:
            return
        raise translated from exc


def translate(exc: BaseException, service: str) -> Exception | None:
    """The domain error for an SDK exception, or None if it is not a remote failure."""
    if isinstance(exc, globus_sdk.NetworkError):
        log.warning("%s unreachable: %s", service, type(exc).__name__)
        return RemoteUnavailable(service)
    if not isinstance(exc, globus_sdk.GlobusAPIError):
        return None
    return _translate_api_error(exc, service)


def _translate_api_error(err: globus_sdk.GlobusAPIError, service: str) -> Exception:
    status = err.http_status
    message = _message(err)
    gare = to_gare(err)
    if gare is not None:
        params = gare.authorization_parameters
        return ReauthenticationRequired(scopes=params.required_scopes or [], message=params.session_message or None)
    if status == 401 or (isinstance(err, globus_sdk.AuthAPIError) and err.code in _DEAD_GRANT_CODES):
        # An access token Globus no longer accepts, or a refresh token that was revoked.
        return ReauthenticationRequired(message="Your Globus login has expired. Please log in again.")
    code = err.code if isinstance(err.code, str) else ""
    if service == "transfer" and (code.startswith("ExternalError.") or code in _COLLECTION_DOWN_CODES):
        return _collection_error(code, message, service)
    if status in _UNAVAILABLE_STATUSES:
        log.warning("%s answered %s (%s)", service, status, err.code)
        return RemoteUnavailable(service)
    if status == 403:
        return RemotePermissionDenied(message or "You do not have permission to do that.")
    if status == 404:
        return RemoteNotFound(message or "That was not found.")
    if 400 <= status < 500:
        return InvalidRequest(message or "Globus refused the request as invalid.")
    log.warning("%s answered unexpected status %s (%s)", service, status, err.code)
    return RemoteUnavailable(service)


def _collection_error(code: str, message: str | None, service: str) -> Exception:
    """A collection's own answer relayed by Transfer: unreachable (503), or a refusal the user can fix (4xx)."""
    reason = code.rsplit(".", 1)[-1]
    if code in _COLLECTION_DOWN_CODES or reason in _COLLECTION_DOWN_REASONS:
        log.warning("%s reports a collection unreachable (%s)", service, code)
        return CollectionUnavailable(service, message)
    if reason in _STORAGE_PERMISSION_REASONS:
        return StoragePermissionDenied(message or "The collection's storage refused access.")
    # Anything else (Exists, NotEmpty, NoSpace, reasons we do not know) is the storage's answer to
    # this request: shown to the user as a conflict, not reported as Transfer being down.
    return StorageRefused(
        message or "The collection's storage refused the operation.", reason, _STORAGE_REFUSAL_STATUS.get(reason, 409)
    )


def _message(err: globus_sdk.GlobusAPIError) -> str | None:
    text = err.message
    if isinstance(text, str) and text.strip():
        return text.strip()[:500]
    return None


def json_document(response: globus_sdk.GlobusHTTPResponse, service: str) -> dict:
    """The response's JSON object, or RemoteUnavailable when the service sent something else.

    A 200 whose body is not JSON (a captive portal, a proxy's own page, a truncated answer) is
    the service path failing, not the user's request: an outage page, never a 500 further on.
    """
    data = response.data
    if not isinstance(data, dict):
        log.warning(
            "%s answered %s with a %s body, not a JSON object",
            service,
            response.http_status,
            response.headers.get("Content-Type", "untyped"),
        )
        raise RemoteUnavailable(
            service,
            f"{SERVICE_NAMES.get(service, service)} sent an answer the portal "
            "cannot read. Please try again in a moment.",
        )
    return data
