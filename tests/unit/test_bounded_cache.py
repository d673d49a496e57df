"""app/services/finished_tasks.BoundedCache: bounded, aged, per-user forgetting (an injected clock, no sleeps)."""

from __future__ import annotations

from app.services.finished_tasks import BoundedCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_entries_leave_first():
    cache: BoundedCache[str] = BoundedCache(max_entries=2, max_age=60)
    cache.put((1, "a"), "A")
    cache.put((1, "b"), "B")
    assert cache.get((1, "a")) == "A"  # a is now the most recently used
    cache.put((1, "c"), "C")
    assert cache.get((1, "b")) is None and cache.get((1, "a")) == "A" and cache.get((1, "c")) == "C"
    assert len(cache) == 2


def test_entries_age_out():
    clock = Clock()
    cache: BoundedCache[str] = BoundedCache(max_entries=10, max_age=60, clock=clock)
    cache.put((1, "a"), "A")
    clock.now += 59
    assert cache.get((1, "a")) == "A"
    clock.now += 2
    assert cache.get((1, "a")) is None and len(cache) == 0


def test_keys_are_per_user_and_one_user_can_be_forgotten():
    cache: BoundedCache[str] = BoundedCache()
    cache.put((1, "task"), "alice's view")
    cache.put((2, "task"), "bob's view")
    assert cache.get((2, "task")) == "bob's view" and cache.get((3, "task")) is None
    cache.forget_user(1)
    assert cache.get((1, "task")) is None and cache.get((2, "task")) == "bob's view"
