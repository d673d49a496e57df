"""Transfer tasks: submission ids, submit transfer/delete, task list and documents, events, cancel."""
from __future__ import annotations

from emulator.transfer import bp  # noqa: F401
