"""Who hears about each Globus call and token refresh (metrics, Auth reachability).

The SDK's transport is the one place every call passes, the portal's login flow included, so
timing it there needs no change at call sites. Observers are registered by whoever cares
(app/ops); this package knows nothing about them, and a failing observer never fails a call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import globus_sdk
from globus_sdk.transport import RequestsTransport

from app.services.globus.settings import SERVICES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpstreamCall:
    """One finished call to a Globus service; status None means no answer (network error, timeout)."""

    service: str
    seconds: float
    status: int | None


_call_observers: list[Callable[[UpstreamCall], None]] = []
_refresh_observers: list[Callable[[bool], None]] = []


def observe_calls(observer: Callable[[UpstreamCall], None]) -> None:
    """Call `observer` after every Globus call of this process (registering twice is a no-op)."""
    if observer not in _call_observers:
        _call_observers.append(observer)


def observe_refreshes(observer: Callable[[bool], None]) -> None:
    """Call `observer(succeeded)` after every access-token refresh of this process."""
    if observer not in _refresh_observers:
        _refresh_observers.append(observer)


def notify_refresh(succeeded: bool) -> None:
    """Tell the refresh observers that a token refresh succeeded or failed."""
    _notify(_refresh_observers, succeeded)


def _notify(observers: list, event: Any) -> None:
    for observer in observers:
        try:
            observer(event)
        except Exception:
            # Bookkeeping must never turn a good Globus call into a user's 500.
            log.exception("observer %r failed", observer)


def service_of(url: str, prefixes: tuple[tuple[str, str], ...]) -> str:
    """Which Globus service a URL belongs to: a configured base URL, else the host (auth.globus.org...)."""
    for prefix, name in prefixes:
        if url.startswith(prefix):
            return name
    label = (urlsplit(url).hostname or "").split(".", 1)[0]
    return label if label in SERVICES else "other"


class ObservedTransport(RequestsTransport):
    """A RequestsTransport that reports each call (retries included) with its service and outcome."""

    def __init__(self, *, service_prefixes: tuple[tuple[str, str], ...] = (), **kwargs: Any):
        super().__init__(**kwargs)
        self.service_prefixes = service_prefixes

    def request(self, method: str, url: str, **kwargs: Any):
        """Send the request as the SDK does, then tell the observers how long it took and how it ended."""
        started = time.perf_counter()
        try:
            response = super().request(method, url, **kwargs)
        except globus_sdk.NetworkError:
            self._report(url, started, None)
            raise
        self._report(url, started, response.status_code)
        return response

    def _report(self, url: str, started: float, status: int | None) -> None:
        call = UpstreamCall(service_of(url, self.service_prefixes), time.perf_counter() - started, status)
        _notify(_call_observers, call)
