"""Endpoint manager: monitored collections and admin views/actions on tasks touching them."""
from __future__ import annotations

from emulator.transfer import bp  # noqa: F401
