"""The file manager: one folder at a time or two side by side, with make folder, rename and delete."""

from __future__ import annotations

from flask import Blueprint

from app.browse.rows import listing_rows
from app.features import register_feature

bp = Blueprint("browse", __name__, url_prefix="/browse")
bp.add_app_template_global(listing_rows, "listing_rows")
register_feature(
    "browse.panes", "File manager", "Browse two collections side by side and move data between them.", order=20
)

from app.browse import actions, views  # noqa: E402, F401  (routes register on import, after bp exists)
