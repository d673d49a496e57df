"""Emulated Globus Transfer v0.10: collections, filesystem operations, tasks, ACLs, roles, bookmarks."""
from flask import Blueprint

bp = Blueprint("transfer", __name__)

# View modules register their routes on `bp` when imported.
from emulator.transfer import (  # noqa: E402,F401
    acl_views,
    bookmark_views,
    endpoint_views,
    fs_views,
    manager_views,
    task_views,
)
