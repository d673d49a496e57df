"""How many bytes a transfer will move, where that is cheap to know before submitting.

Transfer's task document reports what has been moved, never what is expected, so a percentage
"by bytes" needs the total from elsewhere. A selection of a few files (what people pick in the
file manager most often) is measured with one stat per file; folders, long lists and anything
that cannot be measured leave the total unknown, and the task page counts files instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services import user_clients
from app.services.errors import InvalidRequest, RemoteNotFound, RemotePermissionDenied, RemoteUnavailable
from app.services.globus import transfer as upstream

if TYPE_CHECKING:  # transfers.py calls this module before submitting
    from app.services.transfers import TransferRequest

# One stat call per file: at most this many before submitting (each a round trip to Transfer).
MEASURED_FILES = 10
# Measuring is a courtesy: these leave the total unknown; the submission itself reports real problems.
NOT_MEASURABLE = (InvalidRequest, RemoteNotFound, RemotePermissionDenied, RemoteUnavailable)


def expected_bytes(user_id: int, request: TransferRequest) -> int | None:
    """The total size of the selected files, or None when it is not known cheaply."""
    items = request.items
    if not items or len(items) > MEASURED_FILES or any(item.recursive for item in items):
        return None
    client = user_clients.request_transfer_client(user_id)
    total = 0
    for item in items:
        try:
            found = upstream.stat_path(client, request.source, item.source)
        except NOT_MEASURABLE:
            return None
        if found.get("type") != "file":
            return None
        total += int(found.get("size") or 0)
    return total
