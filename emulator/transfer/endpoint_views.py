"""Endpoint (collection) search and documents: /v0.10/endpoint_search, /v0.10/endpoint/<id>."""
from __future__ import annotations

from emulator.transfer import bp  # noqa: F401
