"""Read a search request (GET parameters or a GSearchRequest body) into one validated object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.search.documents import bad_request
from emulator.search.facets import validate_facets

MAX_RESULTS = 10000  # Globus: offset + limit may not pass 10,000 (use scroll beyond that)
DEFAULT_LIMIT = 10
MAX_SORTS = 10
MAX_BOOST = 10.0
BODY_KEYS = {
    "@datatype",
    "@version",
    "q",
    "advanced",
    "offset",
    "limit",
    "filters",
    "post_facet_filters",
    "facets",
    "boosts",
    "sort",
    "bypass_visible_to",
    "filter_principal_sets",
    "result_format_version",
    "query_template",
    "resource_type",
    "marker",
}


def _invalid(path: str, message: str) -> Exception:
    return bad_request(f"{path}: {message}", code="BadRequest.ValidationError", error_data={"path": path})


@dataclass
class SearchRequest:
    """Everything a query asks for, already checked."""

    q: str | None = None
    advanced: bool = False
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    filters: list[Any] = field(default_factory=list)
    post_facet_filters: list[Any] = field(default_factory=list)
    facets: list[dict[str, Any]] = field(default_factory=list)
    boosts: dict[str, float] = field(default_factory=dict)
    sort: list[tuple[str, str]] = field(default_factory=list)
    bypass_visible_to: bool = False
    marker: str | None = None


def _as_bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise _invalid(path, "must be a boolean")


def _as_int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise _invalid(path, "must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's Infinity
        raise _invalid(path, "must be an integer") from None
    if isinstance(value, float) and not value.is_integer():
        raise _invalid(path, "must be an integer")
    if not low <= number <= high:
        raise _invalid(path, f"must be between {low} and {high}")
    return number


def _boosts(docs: Any) -> dict[str, float]:
    if docs is None:
        return {}
    if not isinstance(docs, list):
        raise _invalid("boosts", "must be a list")
    boosts: dict[str, float] = {}
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("field_name"), str):
            raise _invalid(f"boosts[{i}]", "needs a field_name string and a factor")
        factor = doc.get("factor")
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= MAX_BOOST:
            raise _invalid(f"boosts[{i}].factor", f"must be a number from 0 to {MAX_BOOST:g}")
        boosts[doc["field_name"]] = float(factor)
    return boosts


def _sort(docs: Any) -> list[tuple[str, str]]:
    if docs is None:
        return []
    if not isinstance(docs, list) or len(docs) > MAX_SORTS:
        raise _invalid("sort", f"must be a list of at most {MAX_SORTS} sort documents")
    result = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("field_name"), str) or not doc["field_name"]:
            raise _invalid(f"sort[{i}].field_name", "a non-empty string is required")
        order = doc.get("order", "asc")
        if order not in ("asc", "desc"):
            raise _invalid(f"sort[{i}].order", 'must be "asc" or "desc"')
        result.append((doc["field_name"], order))
    return result


def _check_window(request: SearchRequest) -> SearchRequest:
    if request.offset + request.limit > MAX_RESULTS:
        raise bad_request(
            f"offset + limit may not exceed {MAX_RESULTS} (got {request.offset} + {request.limit}); "
            "use a scroll query to read further.",
            code="BadRequest.LimitExceeded",
        )
    return request


def _check_principal_sets(value: Any) -> None:
    # This emulator defines no principal sets on its indices, so any named set is unknown.
    names = value.split(",") if isinstance(value, str) else value
    if names and any(str(n).strip() for n in names):
        raise _invalid("filter_principal_sets", "this index defines no principal sets")


def from_query_params(args: Mapping[str, str]) -> SearchRequest:
    """A request from GET /search parameters (q is required there)."""
    q = args.get("q")
    if q is None:
        raise _invalid("q", "the q parameter is required")
    _check_principal_sets(args.get("filter_principal_sets"))
    return _check_window(
        SearchRequest(
            q=q,
            advanced=_as_bool(args.get("advanced", "false"), "advanced"),
            offset=_as_int(args.get("offset", 0), "offset", 0, MAX_RESULTS),
            limit=_as_int(args.get("limit", DEFAULT_LIMIT), "limit", 0, MAX_RESULTS),
            bypass_visible_to=_as_bool(args.get("bypass_visible_to", "false"), "bypass_visible_to"),
        )
    )


def from_body(body: Any, scroll: bool = False) -> SearchRequest:
    """A request from a GSearchRequest (or scroll) body."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object (a GSearchRequest document).")
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise _invalid("body", f"unknown field(s): {', '.join(unknown)}")
    for key in ("query_template", "resource_type"):
        if body.get(key) is not None:
            raise _invalid(key, "query templates are not defined on this index")
    _check_principal_sets(body.get("filter_principal_sets"))
    q = body.get("q")
    if q is not None and not isinstance(q, str):
        raise _invalid("q", "must be a string")
    if q is None and not body.get("filters"):
        raise _invalid("q", "a query needs q, filters, or both")
    if scroll and (body.get("facets") or body.get("sort") or body.get("boosts")):
        raise _invalid("body", "scroll queries cannot use facets, sort or boosts")
    marker = body.get("marker")
    if marker is not None and not isinstance(marker, str):
        raise _invalid("marker", "must be a string")
    request = SearchRequest(
        q=q,
        advanced=_as_bool(body.get("advanced", False), "advanced"),
        offset=0 if scroll else _as_int(body.get("offset", 0), "offset", 0, MAX_RESULTS),
        limit=_as_int(body.get("limit", DEFAULT_LIMIT), "limit", 0, MAX_RESULTS),
        filters=body.get("filters") or [],
        post_facet_filters=body.get("post_facet_filters") or [],
        facets=validate_facets(body.get("facets")),
        boosts=_boosts(body.get("boosts")),
        sort=_sort(body.get("sort")),
        bypass_visible_to=_as_bool(body.get("bypass_visible_to", False), "bypass_visible_to"),
        marker=marker,
    )
    return request if scroll else _check_window(request)
