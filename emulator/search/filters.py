"""GFilter documents → SQL conditions on entries.

Supported types: match_any, match_all (exact, case-insensitive values), range (numbers, dates or
strings; `from` inclusive, `to` exclusive, `"*"` for an open end), exists, and the combinators
not / and / or. Anything else is a 400 naming the offending filter.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, select

from emulator.search.documents import bad_request
from emulator.search.indexing import parse_date
from emulator.search.models import SearchEntry, SearchFieldValue
from emulator.search.query_sql import field_matches

MATCH_TYPES = ("match_any", "match_all")
FILTER_TYPES = ("match_any", "match_all", "range", "exists", "not", "and", "or")
MAX_DEPTH = 8


def _invalid(path: str, message: str) -> Exception:
    return bad_request(f"{path}: {message}", code="BadRequest.ValidationError", error_data={"path": path})


def scalar_text(value: Any) -> str:
    """A filter value in the form field values are indexed under (see indexing.field_value_row)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)


def _field_name(doc: dict[str, Any], path: str) -> str:
    name = doc.get("field_name")
    if not isinstance(name, str) or not name.strip():
        raise _invalid(f"{path}.field_name", "a non-empty string is required")
    return name.strip()


def _values(doc: dict[str, Any], path: str) -> list[Any]:
    values = doc.get("values")
    if not isinstance(values, list) or not values:
        raise _invalid(f"{path}.values", "a non-empty list is required")
    return values


def _match_condition(field_name: str, values: list[Any], path: str, match_all: bool) -> ColumnElement[bool]:
    lowered = []
    for i, value in enumerate(values):
        if isinstance(value, (dict, list)) or value is None:
            raise _invalid(f"{path}.values[{i}]", "match values must be strings, numbers or booleans")
        lowered.append(scalar_text(value).lower())

    def having(which: list[str]) -> ColumnElement[bool]:
        return SearchEntry.id.in_(
            select(SearchFieldValue.entry_pk).where(
                field_matches(SearchFieldValue.field, field_name), SearchFieldValue.value_lower.in_(which)
            )
        )

    if match_all:
        return and_(*(having([v]) for v in lowered))
    return having(lowered)


def _bound(value: Any, path: str) -> tuple[str, float | str] | None:
    """('number', x) for numbers and dates, ('text', s) for other strings, None for '*'."""
    if value == "*" or value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise _invalid(path, 'range bounds must be numbers, dates, strings or "*"')
    if isinstance(value, (int, float)):
        return "number", float(value)
    text = str(value).strip()
    try:
        return "number", float(text)
    except ValueError:
        pass
    as_date = parse_date(text)
    if as_date is not None:
        return "number", as_date
    return "text", text.lower()


def _range_condition(field_name: str, values: list[Any], path: str) -> ColumnElement[bool]:
    alternatives = []
    for i, window in enumerate(values):
        where = f"{path}.values[{i}]"
        if not isinstance(window, dict) or not ({"from", "to"} & window.keys()):
            raise _invalid(where, 'each range needs "from" and/or "to" (use "*" for an open end)')
        low = _bound(window.get("from", "*"), f"{where}.from")
        high = _bound(window.get("to", "*"), f"{where}.to")
        conditions = [field_matches(SearchFieldValue.field, field_name)]
        for bound, is_low in ((low, True), (high, False)):
            if bound is None:
                continue
            kind, limit = bound
            column = SearchFieldValue.value_number if kind == "number" else SearchFieldValue.value_lower
            conditions.append(column >= limit if is_low else column < limit)
        alternatives.append(SearchEntry.id.in_(select(SearchFieldValue.entry_pk).where(*conditions)))
    return or_(*alternatives)


def filter_condition(doc: Any, path: str = "filters[0]", depth: int = 0) -> ColumnElement[bool]:
    """The SQL condition for one GFilter document (raises a 400 describing what is wrong)."""
    if depth > MAX_DEPTH:
        raise _invalid(path, f"filters nest at most {MAX_DEPTH} levels deep")
    if not isinstance(doc, dict):
        raise _invalid(path, "a filter must be an object")
    kind = doc.get("type")
    if kind not in FILTER_TYPES:
        raise _invalid(f"{path}.type", f"must be one of {', '.join(FILTER_TYPES)}")
    if kind in MATCH_TYPES:
        return _match_condition(_field_name(doc, path), _values(doc, path), path, kind == "match_all")
    if kind == "range":
        return _range_condition(_field_name(doc, path), _values(doc, path), path)
    if kind == "exists":
        name = _field_name(doc, path)
        return SearchEntry.id.in_(select(SearchFieldValue.entry_pk).where(field_matches(SearchFieldValue.field, name)))
    if kind == "not":
        return not_(filter_condition(doc.get("filter"), f"{path}.filter", depth + 1))
    children = doc.get("filters")
    if not isinstance(children, list) or not children:
        raise _invalid(f"{path}.filters", "a non-empty list of filters is required")
    parts = [filter_condition(child, f"{path}.filters[{i}]", depth + 1) for i, child in enumerate(children)]
    return and_(*parts) if kind == "and" else or_(*parts)


def filters_condition(docs: Any, name: str = "filters") -> list[ColumnElement[bool]]:
    """Conditions for a list of filters (all must hold)."""
    if docs is None:
        return []
    if not isinstance(docs, list):
        raise _invalid(name, "must be a list of filter documents")
    return [filter_condition(doc, f"{name}[{i}]") for i, doc in enumerate(docs)]
