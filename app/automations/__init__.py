"""Automations: recurring syncs on a schedule, with follow-up steps (backup, delete source, search records)."""

from __future__ import annotations

from flask import Blueprint

from app.features import register_feature

bp = Blueprint("automations", __name__, url_prefix="/automations")
register_feature(
    "automations.index",
    "Automations",
    "Sync a folder on a schedule in your time zone, then back it up, index it or clear the source.",
    order=50,
)

from app.automations import views  # noqa: E402,F401  (routes register on import)
