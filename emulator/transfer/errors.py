"""Transfer's own error documents, shared by its views, task submission and query parsing.

Transfer's 400s carry `ClientError.BadRequest...` codes, unlike the control API's plain
`BadRequest` (`emulator.errors.bad_request`), so the Transfer flavour lives here.
"""

from __future__ import annotations

from emulator.errors import GlobusError


def bad_request(message: str, code: str = "ClientError.BadRequest") -> GlobusError:
    """A 400 in Transfer's error format."""
    return GlobusError(400, code, message)


def endpoint_not_found(collection_id: str) -> GlobusError:
    """The 404 Transfer answers for an unknown endpoint or collection id."""
    return GlobusError(404, "EndpointNotFound", f"No such endpoint with id '{collection_id}'.")
