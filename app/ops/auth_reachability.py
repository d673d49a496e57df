"""The last known reachability of Globus Auth, from the calls the portal makes anyway.

/readyz reports this instead of calling Auth itself: a probe every few seconds from every
replica would be load on Globus and would make readiness hang on a slow Auth. Kept per app and
per process (each gunicorn worker learns from its own calls).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context

from app.services.globus.call_observers import UpstreamCall, observe_calls

EXTENSION_KEY = "ops.auth_reachability"
# A failure counts against readiness only this long. Past it (no Auth call since), the replica is
# ready again: an unready replica gets no traffic, so it would never see Auth recover otherwise.
FAILURE_HOLD_SECONDS = 120.0


@dataclass(frozen=True)
class AuthStatus:
    """What the last Auth calls said: ready unless the latest one failed recently."""

    ready: bool
    last_success_at: float | None
    last_failure_at: float | None


class AuthReachability:
    """Thread-safe record of the last successful and the last failed call to Globus Auth."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._last_success: float | None = None
        self._last_failure: float | None = None

    def record(self, reached: bool) -> None:
        """Note one Auth call: it got an answer (reached) or not (network error, timeout, 5xx)."""
        with self._lock:
            if reached:
                self._last_success = self._clock()
            else:
                self._last_failure = self._clock()

    def status(self) -> AuthStatus:
        """Ready unless the most recent call failed within FAILURE_HOLD_SECONDS."""
        with self._lock:
            success, failure = self._last_success, self._last_failure
        failing = failure is not None and (success is None or failure > success)
        recent = failure is not None and self._clock() - failure <= FAILURE_HOLD_SECONDS
        return AuthStatus(ready=not (failing and recent), last_success_at=success, last_failure_at=failure)


def auth_reachability(app: Flask) -> AuthReachability:
    """This app's record."""
    return app.extensions[EXTENSION_KEY]


def _record_auth_call(call: UpstreamCall) -> None:
    if call.service != "auth" or not has_app_context():
        return
    record = current_app.extensions.get(EXTENSION_KEY)
    if record is not None:
        # 4xx is Auth answering (a refused grant is not an outage); 429 too: it is up, just busy.
        record.record(call.status is not None and call.status < 500)


def init_auth_reachability(app: Flask) -> None:
    """Give the app its record and feed it from every Auth call."""
    app.extensions[EXTENSION_KEY] = AuthReachability()
    observe_calls(_record_auth_call)
