"""Emulated Globus Search v1: indices, ingest and its tasks, subjects and entries, queries."""

from flask import Blueprint

bp = Blueprint("search", __name__)

# View modules register their routes on `bp` when imported.
from emulator.search import entry_views, index_views, query_views  # noqa: E402,F401
