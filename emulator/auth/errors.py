"""Auth-shaped error bodies.

Globus Auth answers the OAuth endpoints with `{"error", "error_description"}` and its API with
a JSON:API `errors` array; we send both forms in one body so the SDK's `AuthAPIError` gets a
`code` (the OAuth error name, e.g. `invalid_grant`, or `UNAUTHORIZED` for the API) and a message.
"""

from __future__ import annotations

import uuid
from typing import Any

from emulator.errors import GlobusError

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


class AuthError(GlobusError):
    """An error from Globus Auth: `code` goes in `errors[0].code`, `oauth_error` in `error`."""

    def __init__(self, status: int, code: str, message: str, oauth_error: str | None = None) -> None:
        super().__init__(status, code, message)
        self.oauth_error = oauth_error or code.lower()

    def to_dict(self) -> dict[str, Any]:
        """The body Globus Auth sends for this error."""
        error_id = str(uuid.uuid4())
        return {
            "errors": [
                {
                    "status": str(self.status),
                    "id": error_id,
                    "code": self.code,
                    "title": _TITLES.get(self.status, "Error"),
                    "detail": self.message,
                }
            ],
            "error": self.oauth_error,
            "error_description": self.message,
        }


def oauth_error(status: int, error: str, description: str) -> AuthError:
    """A token-endpoint error such as `invalid_grant` (the code the SDK will report)."""
    return AuthError(status, error, description, oauth_error=error)


def invalid_client(description: str = "Client authentication failed.") -> AuthError:
    """401 invalid_client: unknown client or wrong secret."""
    return oauth_error(401, "invalid_client", description)


def invalid_grant(description: str) -> AuthError:
    """400 invalid_grant: a code or refresh token that is unknown, used, expired or mismatched."""
    return oauth_error(400, "invalid_grant", description)


def invalid_request(description: str) -> AuthError:
    """400 invalid_request: a missing or malformed parameter."""
    return oauth_error(400, "invalid_request", description)


def invalid_scope(description: str) -> AuthError:
    """400 invalid_scope: an unknown or disallowed scope."""
    return oauth_error(400, "invalid_scope", description)


def unauthorized(description: str = "Call must be authenticated") -> AuthError:
    """401 on the Auth API (no or bad credentials)."""
    return AuthError(401, "UNAUTHORIZED", description, oauth_error="unauthorized")


def forbidden(description: str) -> AuthError:
    """403 on the Auth API (credentials fine, not allowed)."""
    return AuthError(403, "FORBIDDEN", description, oauth_error="forbidden")


def bad_request(description: str) -> AuthError:
    """400 on the Auth API (bad query parameters)."""
    return AuthError(400, "BAD_REQUEST", description, oauth_error="invalid_request")
