"""`wait_until`: the suite's one way to wait for something to happen (never for a duration).

A test that needs another process or thread to reach a state polls that real state with a bounded
deadline; the short pause between polls is this module's only sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


def wait_until(predicate: Callable[[], T], timeout: float, message: str | Callable[[], str] = "") -> T:
    """Call `predicate` until it returns something truthy (returned), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = message() if callable(message) else message
            raise AssertionError(f"not reached within {timeout:g}s: {detail or predicate}")
        time.sleep(POLL_SECONDS)
