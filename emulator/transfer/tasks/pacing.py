"""Pacing and fault injection for task copies: the live throughput limit and transient faults.

Both read the emulator's settings on every use, so the control API changes running tasks at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from emulator.transfer.tasks.progress import TaskProgress

MAX_CHUNK = 1024 * 1024
MIN_CHUNK = 64


class TransientFault(Exception):
    """A recoverable error during one copy attempt; the file is tried again."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class Pacer:
    """Keeps one task's copy rate at the configured bytes/second (read live on every chunk)."""

    def __init__(self, throughput: Callable[[], int], progress: TaskProgress) -> None:
        self.throughput = throughput
        self.progress = progress
        self.next_time = time.monotonic()

    def chunk_size(self) -> int:
        """Small chunks when throttled (about 8 per second) so progress and cancels stay prompt."""
        rate = self.throughput()
        return MAX_CHUNK if rate <= 0 else max(MIN_CHUNK, min(MAX_CHUNK, rate // 8))

    def spend(self, count: int) -> None:
        """Account for `count` bytes moved, sleeping as long as the rate requires."""
        rate = self.throughput()
        moment = time.monotonic()
        if rate <= 0:
            self.next_time = moment
            return
        # Credit at most a quarter second of idle time, so a pause is not followed by a burst.
        self.next_time = max(self.next_time, moment - 0.25) + count / rate
        delay = self.next_time - moment
        if delay > 0:
            self.progress.wait(delay)


def fault_offset(size: int, rate: float) -> int | None:
    """Where a transient fault interrupts this copy attempt (with probability `rate`), if one does."""
    if rate <= 0 or random.random() >= rate:  # noqa: S311 - fault injection, not security
        return None
    return random.randint(0, max(size - 1, 0))  # noqa: S311
