"""Filesystem operations on a collection: ls, stat, mkdir, rename under /v0.10/operation/endpoint/<id>/."""
from __future__ import annotations

from emulator.transfer import bp  # noqa: F401
