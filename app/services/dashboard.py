"""What the dashboard shows: who the user is and, per Globus service, the access the portal holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.services import token_records, users

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
class Dashboard:
    """Everything the dashboard page renders."""

    profile: users.UserProfile
    services: list[ServiceAccess]


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
    return Dashboard(profile=profile, services=services)
