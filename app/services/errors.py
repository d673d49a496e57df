"""Domain errors the service layer raises; app/errors.py turns each into one page or JSON body.

Nothing here knows about globus_sdk: app/services/globus/errors.py translates SDK errors into
these, so views and the worker only ever see this vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

SERVICE_NAMES = {
    "auth": "Globus Auth",
    "transfer": "Globus Transfer",
    "search": "Globus Search",
    "timer": "Globus Timers",
    "groups": "Globus Groups",
    "https": "the collection's HTTPS server",
}


class DomainError(Exception):
    """Base of every error the service layer raises on purpose."""

    status_code = 500
    code = "error"
    # True when the user can put it right on the page they are on: the form is shown again with
    # the message beside it (and what they typed) instead of an error page.
    fixable = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Refusal:
    """What `refusable()` caught: the fixable error, or None when the block went through."""

    error: DomainError | None = None


@contextmanager
def refusable() -> Iterator[Refusal]:
    """Catch a fixable domain error raised in the block into the yielded Refusal; anything else propagates."""
    refusal = Refusal()
    try:
        yield refusal
    except DomainError as err:
        if not err.fixable:
            raise
        refusal.error = err


class ReauthenticationRequired(DomainError):
    """The user must log in again, possibly consenting to extra scopes, before this can work."""

    status_code = 401
    code = "reauthentication_required"

    def __init__(self, scopes: Iterable[str] = (), message: str | None = None):
        self.scopes = [scope for scope in scopes if scope]
        super().__init__(
            message
            or (
                "Globus needs your consent for additional access before this can continue."
                if self.scopes
                else "Please log in again to continue."
            )
        )


class RemotePermissionDenied(DomainError):
    """Globus refused: the user lacks permission for this resource."""

    status_code = 403
    code = "permission_denied"
    fixable = True  # e.g. no write access to that folder: choose another one


class StoragePermissionDenied(RemotePermissionDenied):
    """The collection's storage itself refused (file system permissions), not the collection's access rules."""


class RemoteNotFound(DomainError):
    """Globus says the resource does not exist (or is not visible to this user)."""

    status_code = 404
    code = "not_found"


class RemoteUnavailable(DomainError):
    """A Globus service is down, overloaded or too slow to answer in time."""

    status_code = 503
    code = "service_unavailable"

    def __init__(self, service: str, message: str | None = None):
        self.service = service
        self.service_name = SERVICE_NAMES.get(service, service)
        super().__init__(message or f"{self.service_name} is not responding right now.")


class CollectionUnavailable(RemoteUnavailable):
    """Transfer is up, but a collection's storage server is offline or does not answer it."""

    code = "collection_unavailable"

    def __init__(self, service: str, message: str | None = None, collection_name: str | None = None):
        self.collection_name = collection_name
        super().__init__(service, message or "The collection's server is not answering right now.")

    def naming(self, collection_name: str) -> CollectionUnavailable:
        """The same error, naming the collection (its display name is known to the caller, not to Transfer)."""
        return CollectionUnavailable(self.service, self.message, collection_name)


class InvalidRequest(DomainError):
    """The request (or what the user typed) was refused as invalid; `field` names the input."""

    status_code = 400
    code = "invalid_request"
    fixable = True

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(message)


class StorageRefused(InvalidRequest):
    """A collection's storage refused the operation (a name already taken, a file where a folder was expected).

    The user can fix these on the page they are on, so they are 4xx (409, 400 or 404), never an outage.
    """

    code = "storage_refused"

    def __init__(self, message: str, reason: str, status_code: int = 409):
        self.reason = reason
        self.status_code = status_code
        super().__init__(message)


class LoginRefused(DomainError):
    """A login callback that must not proceed (bad state, bad id_token, failed code exchange)."""

    status_code = 400
    code = "login_refused"

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class LoginCancelled(DomainError):
    """The user declined at Globus Auth (error=access_denied)."""

    status_code = 403
    code = "login_cancelled"
