"""Tasks: the filtered list, a task's live progress, events and per-file results, cancel, resubmit."""

from __future__ import annotations

from flask import Blueprint

from app.features import register_feature

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
register_feature("tasks.index", "Tasks", "Follow your transfers and deletions as they run.", order=40)

from app.tasks import views  # noqa: E402,F401  (routes register on import)
