"""Prometheus metrics: request latency per route, Globus call latency and errors, token refreshes.

Metrics live in prometheus_client's default registry, once per process. Under gunicorn with
several workers set PROMETHEUS_MULTIPROC_DIR (see config/gunicorn.conf.py): each worker then
writes its samples to files there and a scrape of any worker adds up all of them.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.services.globus.call_observers import (
    UpstreamCall,
    observe_calls,
    observe_refreshes,
)

REQUEST_SECONDS = Histogram(
    "gateway_http_request_duration_seconds",
    "Time to answer a request, by route (the URL rule, not the path), method and status class.",
    ["route", "method", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "gateway_globus_request_duration_seconds",
    "Time of one call to a Globus service (retries included), by service and status class.",
    ["service", "status"],
)
UPSTREAM_ERRORS = Counter(
    "gateway_globus_errors_total",
    "Globus calls that got no answer (network) or a 5xx/429, by service.",
    ["service", "kind"],
)
TOKEN_REFRESHES = Counter(
    "gateway_token_refreshes_total",
    "Access-token refreshes with a user's refresh token, by outcome.",
    ["outcome"],
)
# Paths with no URL rule share one label, so scanners cannot grow the series without bound.
UNMATCHED_ROUTE = "<unmatched>"


def status_class(status: int | None) -> str:
    """The status class ("2xx", "4xx"...), or "network" for a call that got no answer."""
    return "network" if status is None else f"{status // 100}xx"


def record_upstream_call(call: UpstreamCall) -> None:
    """Observe one Globus call's latency, and count it as an error if Globus did not answer well."""
    UPSTREAM_SECONDS.labels(call.service, status_class(call.status)).observe(call.seconds)
    if call.status is None:
        UPSTREAM_ERRORS.labels(call.service, "network").inc()
    elif call.status >= 500 or call.status == 429:
        UPSTREAM_ERRORS.labels(call.service, str(call.status)).inc()


def record_token_refresh(succeeded: bool) -> None:
    """Count one access-token refresh."""
    TOKEN_REFRESHES.labels("refreshed" if succeeded else "failed").inc()


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _observe_request(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        REQUEST_SECONDS.labels(route, request.method, status_class(response.status_code)).observe(
            time.perf_counter() - started
        )
    return response


def init_metrics(app: Flask) -> None:
    """Time every request and listen to Globus calls and token refreshes."""
    app.before_request(_start_timer)
    app.after_request(_observe_request)
    observe_calls(record_upstream_call)
    observe_refreshes(record_token_refresh)


@dataclass(frozen=True)
class Scrape:
    """What /metrics answers: a status, a body and its headers."""

    status: int
    body: bytes
    headers: dict[str, str]


def scrape(config: Mapping[str, Any], authorization: str | None) -> Scrape:
    """The metrics page if configuration allows this caller; 404 when metrics are off, 401/403 for a bad token."""
    token = config.get("METRICS_TOKEN")
    if not token and not config.get("METRICS_ENABLED"):
        # Not configured: answer as if there were no such page.
        return Scrape(404, b"Not Found\n", {"Content-Type": "text/plain"})
    if token:
        scheme, _, sent = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not sent:
            return Scrape(
                401,
                b"Bearer token required\n",
                {"Content-Type": "text/plain", "WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        # Bytes: compare_digest refuses str with non-ASCII characters.
        if not hmac.compare_digest(sent.strip().encode(), str(token).encode()):
            return Scrape(403, b"Forbidden\n", {"Content-Type": "text/plain"})
    return Scrape(200, generate_latest(_registry()), {"Content-Type": CONTENT_TYPE_LATEST})


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker's files, summed: a scrape may land on any worker.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY
