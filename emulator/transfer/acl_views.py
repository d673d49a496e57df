"""Access rules and roles of a collection: /v0.10/endpoint/<id>/access..., /role..."""
from __future__ import annotations

from emulator.transfer import bp  # noqa: F401
