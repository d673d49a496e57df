"""Which requests authenticate by bearer token only: the JSON API under /api/.

For them no server-side session is opened or saved (app/server_sessions.py) and no CSRF token is
checked (app/security/csrf.py): a session cookie sent along is ignored, so a browser's ambient
credentials can never act through the API, and the token in the Authorization header is the
only credential.
"""

from __future__ import annotations

API_PREFIX = "/api/"


def is_bearer_only(path: str) -> bool:
    """True for paths of the JSON API."""
    return path.startswith(API_PREFIX)
