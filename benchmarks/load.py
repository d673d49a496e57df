"""The closed-loop load driver both benchmark scripts use: N threads calling for S seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def drive(threads: int, seconds: float, make_call: Callable[[], Callable[[], bool]]) -> tuple[list[float], int]:
    """Run `threads` workers for `seconds`; return every call's latency (s) and the failure count.

    Each worker builds its own call first (own HTTP session or client), then all start together.
    """
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    calls = [make_call() for _ in range(threads)]
    gate = threading.Barrier(threads + 1)

    def work(call: Callable[[], bool]) -> None:
        nonlocal errors
        timings, failures = [], 0
        gate.wait()
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            began = time.perf_counter()
            ok = call()
            timings.append(time.perf_counter() - began)
            failures += 0 if ok else 1
        with lock:
            latencies.extend(timings)
            errors += failures

    pool = [threading.Thread(target=work, args=(call,), daemon=True) for call in calls]
    for thread in pool:
        thread.start()
    gate.wait()
    for thread in pool:
        thread.join()
    return latencies, errors
