"""Transfer's HTTP API: one views module per resource, every route on this one blueprint."""

from flask import Blueprint

bp = Blueprint("transfer", __name__)

# View modules register their routes on `bp` when imported.
from emulator.transfer.http import (  # noqa: E402,F401
    access_rules,
    bookmarks,
    endpoint_manager,
    endpoints,
    fs_operations,
    tasks,
)
