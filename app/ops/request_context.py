"""The id of the current request, carried into log lines, error pages, JSON errors and jobs.

A proxy we trust (TRUSTED_PROXIES > 0) may hand us its own X-Request-ID so one id follows the
request through every hop; anything else, or an id outside a conservative alphabet, is replaced
by one we generate, so a client cannot inject text into our logs or forge another request's id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, Response, current_app, g, request
from werkzeug.datastructures import Headers

HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

# A contextvar rather than flask.g alone: log lines written outside a request context (a job the
# request started, a library's thread-local work) still find the id that was bound for them.
_current: ContextVar[str | None] = ContextVar("gateway_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request (or of the job acting for one) being handled here, or None."""
    return _current.get()


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[str]:
    """Run a block (e.g. a background job) under `request_id`, or a new id if it is missing or invalid."""
    value = request_id if request_id and VALID_REQUEST_ID.fullmatch(request_id) else new_request_id()
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def new_request_id() -> str:
    """A fresh random id (32 hex digits)."""
    return uuid.uuid4().hex


def choose_request_id(headers: Mapping[str, str] | Headers, trusted_proxies: int) -> str:
    """The proxy's X-Request-ID when a proxy is trusted and the id is well-formed, else a new one."""
    offered = headers.get(HEADER)
    if trusted_proxies > 0 and offered and VALID_REQUEST_ID.fullmatch(offered):
        return offered
    return new_request_id()


def _start_request() -> None:
    g.request_id = choose_request_id(request.headers, current_app.config["TRUSTED_PROXIES"])
    g.request_id_token = _current.set(g.request_id)


def _send_request_id(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _end_request(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        _current.reset(token)


def init_request_id(app: Flask) -> None:
    """Give every request an id first thing, and send it back in the X-Request-ID header."""
    app.before_request(_start_request)
    app.after_request(_send_request_id)
    app.teardown_request(_end_request)
