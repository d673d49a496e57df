"""Transfers: review a selection with every option, batch lists, at-most-once submission."""

from __future__ import annotations

from flask import Blueprint

from app.features import register_feature

bp = Blueprint("transfers", __name__, url_prefix="/transfers")
register_feature(
    "transfers.batch", "Batch transfer", "Paste or upload a list of source and destination paths.", order=30
)

from app.transfers import views  # noqa: E402,F401  (routes register on import)
