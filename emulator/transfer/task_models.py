"""Transfer task tables: tasks, their items, events and per-file results, and issued submission ids."""
from __future__ import annotations

from emulator.db import Base  # noqa: F401
