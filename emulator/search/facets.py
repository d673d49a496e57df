"""GFacet documents → GFacetResult documents, counted over the entries a query matched.

terms: the most frequent values (size, default 10); date_histogram: calendar buckets
(date_interval year..second, optional histogram_range); numeric_histogram: `size` equal buckets
over histogram_range {low, high}; sum / avg: one value. Counts are of entries, like Globus.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from emulator.search.documents import VERSION, bad_request
from emulator.search.indexing import parse_date
from emulator.search.models import SearchFieldValue
from emulator.search.query_sql import field_matches

FACET_TYPES = ("terms", "date_histogram", "numeric_histogram", "sum", "avg")
DATE_INTERVALS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second")
MAX_FACETS = 20
MAX_BUCKETS = 1000
_FIXED = {
    "day": timedelta(days=1),
    "hour": timedelta(hours=1),
    "minute": timedelta(minutes=1),
    "second": timedelta(seconds=1),
    "week": timedelta(weeks=1),
}


def _invalid(path: str, message: str) -> Exception:
    return bad_request(f"{path}: {message}", code="BadRequest.ValidationError", error_data={"path": path})


def _bucket(value: Any, count: int) -> dict[str, Any]:
    return {"@datatype": "GBucket", "@version": VERSION, "value": value, "count": count}


def _result(name: str, **body: Any) -> dict[str, Any]:
    return {"@datatype": "GFacetResult", "@version": VERSION, "name": name, **body}


def _number_or_text(text: str, number: float | None, is_date: bool) -> Any:
    if number is None or is_date:
        return text
    return int(number) if float(number).is_integer() and "." not in text else number


def _size(doc: dict[str, Any], path: str, default: int | None) -> int:
    size = doc.get("size", default)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BUCKETS:
        raise _invalid(f"{path}.size", f"an integer from 1 to {MAX_BUCKETS} is required")
    return size


def _terms(session: Session, matched: Select, field_name: str, doc: dict[str, Any], path: str) -> dict[str, Any]:
    size = _size(doc, path, 10)
    count = func.count(func.distinct(SearchFieldValue.entry_pk))
    rows = session.execute(
        select(
            func.min(SearchFieldValue.value_text),
            count,
            func.max(SearchFieldValue.value_number),
            func.max(SearchFieldValue.is_date),
        )
        .where(field_matches(SearchFieldValue.field, field_name), SearchFieldValue.entry_pk.in_(matched))
        .group_by(SearchFieldValue.value_lower)
        .order_by(count.desc(), SearchFieldValue.value_lower)
        .limit(size)
    ).all()
    return {"buckets": [_bucket(_number_or_text(text, number, bool(is_date)), n) for text, n, number, is_date in rows]}


def _histogram_range(doc: dict[str, Any], path: str, dates: bool, required: bool) -> tuple[float, float] | None:
    window = doc.get("histogram_range")
    if window is None and not required:
        return None
    if not isinstance(window, dict) or "low" not in window or "high" not in window:
        raise _invalid(f"{path}.histogram_range", 'an object with "low" and "high" is required')
    bounds = []
    for key in ("low", "high"):
        raw = window[key]
        value: float | None = None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
        elif isinstance(raw, str) and dates:
            value = parse_date(raw)
        if value is None:
            kind = "a date" if dates else "a number"
            raise _invalid(f"{path}.histogram_range.{key}", f"must be {kind}")
        bounds.append(value)
    if bounds[0] >= bounds[1]:
        raise _invalid(f"{path}.histogram_range", "low must be less than high")
    return bounds[0], bounds[1]


def _values_in(
    session: Session, matched: Select, field_name: str, window: tuple[float, float] | None, dates: bool
) -> list[tuple[int, float]]:
    query = select(SearchFieldValue.entry_pk, SearchFieldValue.value_number).where(
        field_matches(SearchFieldValue.field, field_name),
        SearchFieldValue.entry_pk.in_(matched),
        SearchFieldValue.value_number.is_not(None),
        SearchFieldValue.is_date == (1 if dates else 0),
    )
    if window is not None:
        query = query.where(SearchFieldValue.value_number >= window[0], SearchFieldValue.value_number < window[1])
    # value_number IS NOT NULL in the query; the column itself is nullable.
    return [(pk, value) for pk, value in session.execute(query).all() if value is not None]


def _floor_date(moment: datetime, interval: str) -> tuple[datetime, datetime]:
    """The calendar bucket [start, end) holding `moment`."""
    if interval in ("year", "quarter", "month"):
        month = (
            1 if interval == "year" else (((moment.month - 1) // 3) * 3 + 1 if interval == "quarter" else moment.month)
        )
        start = moment.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
        step = {"year": 12, "quarter": 3, "month": 1}[interval]
        months = start.month - 1 + step
        return start, start.replace(year=start.year + months // 12, month=months % 12 + 1)
    start = moment.replace(microsecond=0)
    if interval in ("week", "day"):
        start = start.replace(hour=0, minute=0, second=0)
        if interval == "week":
            start -= timedelta(days=start.weekday())
    elif interval == "hour":
        start = start.replace(minute=0, second=0)
    elif interval == "minute":
        start = start.replace(second=0)
    return start, start + _FIXED[interval]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_histogram(
    session: Session, matched: Select, field_name: str, doc: dict[str, Any], path: str
) -> dict[str, Any]:
    interval = doc.get("date_interval")
    if interval not in DATE_INTERVALS:
        raise _invalid(f"{path}.date_interval", f"must be one of {', '.join(DATE_INTERVALS)}")
    window = _histogram_range(doc, path, dates=True, required=False)
    members: dict[datetime, set[int]] = defaultdict(set)
    ends: dict[datetime, datetime] = {}
    for pk, epoch in _values_in(session, matched, field_name, window, dates=True):
        start, end = _floor_date(datetime.fromtimestamp(epoch, tz=UTC), interval)
        members[start].add(pk)
        ends[start] = end
    starts = sorted(members)[:MAX_BUCKETS]
    return {"buckets": [_bucket({"from": _iso(s), "to": _iso(ends[s])}, len(members[s])) for s in starts]}


def _numeric_histogram(
    session: Session, matched: Select, field_name: str, doc: dict[str, Any], path: str
) -> dict[str, Any]:
    size = _size(doc, path, None)
    low, high = _histogram_range(doc, path, dates=False, required=True)  # type: ignore[misc]
    width = (high - low) / size
    members: list[set[int]] = [set() for _ in range(size)]
    for pk, value in _values_in(session, matched, field_name, (low, high), dates=False):
        members[min(int(math.floor((value - low) / width)), size - 1)].add(pk)
    buckets = []
    for i, pks in enumerate(members):
        start, end = low + i * width, (high if i == size - 1 else low + (i + 1) * width)
        buckets.append(_bucket({"from": _plain(start), "to": _plain(end)}, len(pks)))
    return {"buckets": buckets}


def _plain(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def _aggregate(session: Session, matched: Select, field_name: str, kind: str) -> dict[str, Any]:
    function = func.sum if kind == "sum" else func.avg
    value = session.scalar(
        select(function(SearchFieldValue.value_number)).where(
            field_matches(SearchFieldValue.field, field_name),
            SearchFieldValue.entry_pk.in_(matched),
            SearchFieldValue.is_date == 0,
        )
    )
    return {"value": 0.0 if value is None else float(value)}


def validate_facets(docs: Any) -> list[dict[str, Any]]:
    """Check the shape of a facets list before any work is done (400 on the first problem)."""
    if docs is None:
        return []
    if not isinstance(docs, list) or len(docs) > MAX_FACETS:
        raise _invalid("facets", f"must be a list of at most {MAX_FACETS} facet documents")
    for i, doc in enumerate(docs):
        path = f"facets[{i}]"
        if not isinstance(doc, dict):
            raise _invalid(path, "a facet must be an object")
        if doc.get("type", "terms") not in FACET_TYPES:
            raise _invalid(f"{path}.type", f"must be one of {', '.join(FACET_TYPES)}")
        if not isinstance(doc.get("field_name"), str) or not doc["field_name"].strip():
            raise _invalid(f"{path}.field_name", "a non-empty string is required")
        if "name" in doc and not isinstance(doc["name"], str):
            raise _invalid(f"{path}.name", "must be a string")
    return docs


def facet_results(session: Session, matched: Select, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One GFacetResult per facet document, in request order."""
    results = []
    for i, doc in enumerate(docs):
        path = f"facets[{i}]"
        field_name = doc["field_name"].strip()
        kind = doc.get("type", "terms")
        name = doc.get("name") or field_name
        if kind == "terms":
            body = _terms(session, matched, field_name, doc, path)
        elif kind == "date_histogram":
            body = _date_histogram(session, matched, field_name, doc, path)
        elif kind == "numeric_histogram":
            body = _numeric_histogram(session, matched, field_name, doc, path)
        else:
            body = _aggregate(session, matched, field_name, kind)
        results.append(_result(name, **body))
    return results
