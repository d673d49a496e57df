"""Field-level validation of task documents: booleans, labels, deadlines, ids, sync levels, filters.

Each parser returns the clean value or raises the Transfer-style 400 the service answers with.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from emulator.transfer.errors import bad_request

DEFAULT_DEADLINE_SECONDS = 24 * 3600
FILTER_RULE_FIELDS = {"DATA_TYPE", "method", "name", "type"}


def only_known(body: dict[str, Any], allowed: set[str], what: str) -> None:
    """Refuse fields the service does not know (a typo must not be silently ignored)."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(f"Unknown field(s) in {what}: {', '.join(unknown)}.", "ClientError.BadRequest.UnknownField")


def optional_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    """A true/false field; absent or null means the service default."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"'{name}' must be true or false, not {value!r}.")
    return value


def optional_str(body: dict[str, Any], name: str, max_length: int = 256) -> str | None:
    """An optional bounded string field."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise bad_request(f"'{name}' must be a string of at most {max_length} characters.")
    return value


def parse_label(value: Any) -> str | None:
    """A task label: at most 128 characters, no newlines, no surrounding whitespace."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request("'label' must be a string.")
    if len(value) > 128:
        raise bad_request("'label' may be at most 128 characters.", "ClientError.BadRequest.InvalidLabel")
    if "\n" in value or "\r" in value or value != value.strip():
        raise bad_request(
            "'label' may not contain newlines or leading/trailing whitespace.", "ClientError.BadRequest.InvalidLabel"
        )
    return value


def parse_deadline(value: Any, now: float) -> float:
    """An ISO 8601 deadline ("2017-10-12", "2017-10-12 09:30Z", ...) as epoch seconds; UTC if naive."""
    if value is None:
        return now + DEFAULT_DEADLINE_SECONDS
    if not isinstance(value, str) or not value.strip():
        raise bad_request(
            "'deadline' must be an ISO 8601 date or date-time string.", "ClientError.BadRequest.InvalidDeadline"
        )
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(
            f"'deadline' is not an ISO 8601 date-time: {value!r}.", "ClientError.BadRequest.InvalidDeadline"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def submission_id_field(body: dict[str, Any]) -> str:
    """The document's submission id, required and in UUID form."""
    value = body.get("submission_id")
    if not isinstance(value, str) or not value:
        raise bad_request(
            "'submission_id' is required; get one from GET /submission_id.", "ClientError.BadRequest.MissingField"
        )
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise bad_request(f"'submission_id' is not a valid submission id: {value!r}.") from None


def sync_level_field(value: Any) -> int | None:
    """sync_level as the SDK sends it: an integer 0-3, or absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
        raise bad_request(f"'sync_level' must be an integer from 0 to 3, not {value!r}.")
    return value


def filter_rules_field(value: Any) -> list[dict[str, Any]] | None:
    """A list of filter_rule documents, normalised (method defaults to exclude)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request("'filter_rules' must be a list of filter_rule documents.")
    rules = []
    for rule in value:
        if not isinstance(rule, dict):
            raise bad_request("Each filter rule must be a JSON object.")
        only_known(rule, FILTER_RULE_FIELDS, "filter_rule")
        if rule.get("DATA_TYPE", "filter_rule") != "filter_rule":
            raise bad_request("A filter rule's DATA_TYPE must be 'filter_rule'.")
        method = rule.get("method", "exclude")
        if method not in ("include", "exclude"):
            raise bad_request(f"Filter rule 'method' must be 'include' or 'exclude', not {method!r}.")
        name = rule.get("name")
        if not isinstance(name, str) or not name or "/" in name:
            raise bad_request("Filter rule 'name' must be a non-empty name pattern without '/'.")
        kind = rule.get("type")
        if kind not in (None, "file", "dir"):
            raise bad_request(f"Filter rule 'type' must be 'file' or 'dir', not {kind!r}.")
        rules.append({"DATA_TYPE": "filter_rule", "method": method, "name": name, "type": kind})
    return rules
