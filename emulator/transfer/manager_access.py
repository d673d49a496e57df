"""Endpoint-manager permissions: which collections a caller monitors or manages, and on which side.

Roles come from the collection's role assignments (directly or through a group, the owner counts
as administrator); a role on a mapped collection also covers the guest collections it hosts.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext
from emulator.errors import GlobusError
from emulator.transfer.access import effective_roles
from emulator.transfer.models import Collection
from emulator.transfer.tasks.models import Task

MONITOR_ROLES = frozenset({"administrator", "activity_manager", "activity_monitor"})
MANAGER_ROLES = frozenset({"administrator", "activity_manager"})


def collections_with_roles(session: Session, ctx: TokenContext, wanted: frozenset[str]) -> dict[str, Collection]:
    """Collections on which the caller holds one of `wanted`, directly or via the host collection."""
    collections = list(session.scalars(select(Collection)))
    direct = {c.id: c for c in collections if wanted & set(effective_roles(session, ctx, c))}
    for collection in collections:
        if collection.host_collection_id in direct:
            direct.setdefault(collection.id, collection)
    return direct


def touches(task: Task, collection_ids: set[str] | dict) -> bool:
    """True when the task reads from or writes to one of these collections."""
    return task.source_endpoint_id in collection_ids or (task.destination_endpoint_id or "") in collection_ids


def touching_condition(collection_ids: set[str] | dict):  # noqa: ANN201 - SQL expression
    """SQL condition: tasks with a source or destination among these collections."""
    ids = list(collection_ids)
    return or_(Task.source_endpoint_id.in_(ids), Task.destination_endpoint_id.in_(ids))


def admin_side(task: Task, collection_ids: set[str] | dict) -> str:
    """Which side of the task the administrator acts for: SOURCE, DESTINATION or BOTH."""
    source = task.source_endpoint_id in collection_ids
    destination = (task.destination_endpoint_id or "") in collection_ids
    if source and destination:
        return "BOTH"
    return "SOURCE" if source else "DESTINATION"


def permission_denied(message: str) -> GlobusError:
    """The 403 the endpoint-manager API answers without the needed role."""
    return GlobusError(403, "PermissionDenied", message)
