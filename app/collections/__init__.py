"""Finding collections: search by text and scope, a collection's page, and bookmarks."""

from __future__ import annotations

from flask import Blueprint

from app.features import register_feature

bp = Blueprint("collections", __name__, url_prefix="/collections")
register_feature(
    "collections.search", "Collections", "Find collections you own, share or use, and bookmark folders.", order=10
)

from app.collections import views  # noqa: E402,F401  (routes register on import)
