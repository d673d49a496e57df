"""Per-user bookmarks: /v0.10/bookmark_list and /v0.10/bookmark/<id>."""
from __future__ import annotations

from emulator.transfer import bp  # noqa: F401
