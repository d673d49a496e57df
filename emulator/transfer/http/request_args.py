"""What a Transfer request carries: its caller, and strict parsing of its body and query into 400s."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request

from emulator.auth.tokens import TokenContext, require_token
from emulator.transfer.errors import bad_request

TRANSFER_RS = "transfer.api.globus.org"


def transfer_caller() -> TokenContext:
    """The caller of a Transfer API request, from its bearer token (401 otherwise)."""
    return require_token(TRANSFER_RS)


def json_object(
    data_type: str | None,
    *,
    allowed: Iterable[str],
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """The request's JSON object body, refusing malformed JSON, unknown and missing fields."""
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "ClientError.BadRequest.InvalidJSON")
    given_type = body.get("DATA_TYPE")
    if data_type is not None and given_type not in (None, data_type):
        raise bad_request(
            f"DATA_TYPE must be '{data_type}', not {given_type!r}.", "ClientError.BadRequest.InvalidDataType"
        )
    known = set(allowed) | {"DATA_TYPE"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(unknown)}.", "ClientError.BadRequest.UnknownField")
    missing = [name for name in required if body.get(name) in (None, "")]
    if missing:
        raise bad_request(f"Missing required field(s): {', '.join(missing)}.", "ClientError.BadRequest.MissingField")
    return body


def string_field(body: dict[str, Any], name: str, *, max_length: int = 4096) -> str:
    """A required string field of a JSON body."""
    value = body.get(name)
    if not isinstance(value, str):
        raise bad_request(f"'{name}' must be a string.")
    if len(value) > max_length:
        raise bad_request(f"'{name}' may be at most {max_length} characters.")
    return value


def int_arg(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """An integer query parameter within [minimum, maximum]."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"'{name}' must be an integer, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise bad_request(f"'{name}' must be between {minimum} and {maximum}.")
    return value


def bool_arg(name: str, default: bool) -> bool:
    """A boolean query parameter written as 1/0/true/false."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "t", "yes"):
        return True
    if lowered in ("0", "false", "f", "no"):
        return False
    raise bad_request(f"'{name}' must be a boolean (1/0/true/false), not {raw!r}.")


def resource_path() -> str:
    """The request path as Transfer echoes it in `resource` (without the emulator's prefix)."""
    path = request.path
    prefix = "/transfer"
    return path[len(prefix) :] if path.startswith(prefix + "/") else path
