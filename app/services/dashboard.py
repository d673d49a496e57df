"""What the dashboard shows: the user's work first (tasks, bookmarks, recent collections), then who
they are and, folded away, the access the portal holds per Globus service.

Each part of the work comes from its own Transfer call and fails on its own: a part Transfer could
not answer says so where it would have been, and the rest of the page still shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.services import collections, tasks, token_records, users
from app.services.errors import DomainError
from app.services.task_records import Task

RECENT_TASKS = 5
RECENT_COLLECTIONS = 6

RESOURCE_SERVER_NAMES = {
    "auth.globus.org": "Globus Auth",
    "transfer.api.globus.org": "Globus Transfer",
    "search.api.globus.org": "Globus Search",
    "timers.api.globus.org": "Globus Timers",
    "groups.api.globus.org": "Globus Groups",
}


@dataclass(frozen=True)
class ServiceAccess:
    """The portal's access to one service for this user: scopes and expiry, never the token."""

    service_name: str
    resource_server: str
    scopes: list[str]
    expires_at: datetime
    expired: bool
    refreshable: bool


@dataclass(frozen=True)
class Work:
    """The user's work: recent and running tasks, bookmarks, recently used collections (each may have failed)."""

    recent_tasks: list[Task] = field(default_factory=list)
    active_tasks: list[Task] = field(default_factory=list)
    tasks_error: str | None = None
    bookmarks: list[collections.Bookmark] = field(default_factory=list)
    bookmarks_error: str | None = None
    recent_collections: list[collections.Collection] = field(default_factory=list)
    recent_error: str | None = None


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page renders."""

    profile: users.UserProfile
    services: list[ServiceAccess]
    work: Work = field(default_factory=Work)


def dashboard_for(user_id: int) -> Dashboard | None:
    """The dashboard of a user, or None if the user no longer exists."""
    profile = users.get_profile(user_id)
    if profile is None:
        return None
    services = [
        ServiceAccess(
            service_name=RESOURCE_SERVER_NAMES.get(summary.resource_server, summary.resource_server),
            resource_server=summary.resource_server,
            scopes=summary.scopes,
            expires_at=summary.expires_at,
            expired=summary.expired,
            refreshable=summary.refreshable,
        )
        for summary in token_records.summarize_tokens(user_id)
    ]
    services.sort(key=lambda s: (s.resource_server not in RESOURCE_SERVER_NAMES, s.service_name))
    return Dashboard(profile=profile, services=services, work=_work(user_id))


def _work(user_id: int) -> Work:
    # Any refusal (Globus down, a login to renew, consent) stays inside its part of the page: the
    # dashboard is where people land after logging in, so it must never bounce them away.
    recent: list[Task] = []
    tasks_error = bookmarks_error = recent_error = None
    try:
        recent = tasks.list_tasks(user_id, tasks.TaskFilters()).tasks
    except DomainError as err:
        tasks_error = err.message
    marks: list[collections.Bookmark] = []
    try:
        marks = collections.list_bookmarks(user_id)
    except DomainError as err:
        bookmarks_error = err.message
    used: list[collections.Collection] = []
    try:
        used = collections.search(user_id, "", "recently-used").results[:RECENT_COLLECTIONS]
    except DomainError as err:
        recent_error = err.message
    return Work(
        recent_tasks=recent[:RECENT_TASKS],
        active_tasks=[task for task in recent if task.status in ("ACTIVE", "INACTIVE")],
        tasks_error=tasks_error,
        bookmarks=marks,
        bookmarks_error=bookmarks_error,
        recent_collections=used,
        recent_error=recent_error,
    )
