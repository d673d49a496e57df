"""Run a search: match, rank or sort, page by subject, count facets — all selection in SQL.

Entries are matched individually (visibility, query text, filters); results are grouped by
subject like Globus' GMetaResults, and only the returned page's entries are loaded and decoded.
"""
from __future__ import annotations

import base64
from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session

from emulator.search.documents import VERSION, bad_request, gmeta_result
from emulator.search.facets import facet_results
from emulator.search.filters import filters_condition
from emulator.search.models import SearchEntry, SearchEntryPrincipal, SearchFieldValue, SearchIndex
from emulator.search.query_sql import field_matches, score_expression, tree_condition
from emulator.search.query_text import QueryTree, parse_query, positive_terms
from emulator.search.search_request import MAX_RESULTS, SearchRequest


def visible_to(principals: frozenset[str] | None) -> ColumnElement[bool]:
    """Entries whose visible_to names one of the principals (None: no restriction)."""
    if principals is None:
        return SearchEntry.id.is_not(None)
    return exists().where(SearchEntryPrincipal.entry_pk == SearchEntry.id, SearchEntryPrincipal.principal.in_(principals))


def match_conditions(index_id: str, request: SearchRequest, principals: frozenset[str] | None,
                     tree: QueryTree | None = None) -> list[ColumnElement[bool]]:
    """Conditions for entries the query matches, before post-facet filters."""
    if tree is None:
        tree = parse_query(request.q or "*", request.advanced)
    return [
        SearchEntry.index_id == index_id,
        visible_to(principals),
        tree_condition(tree),
        *filters_condition(request.filters),
    ]


def _sort_key(field_name: str, order: str, numeric: bool):  # noqa: ANN202 - a SQL expression
    column = SearchFieldValue.value_number if numeric else SearchFieldValue.value_lower
    pick = func.min if order == "asc" else func.max
    per_entry = (
        select(pick(column))
        .where(SearchFieldValue.entry_pk == SearchEntry.id, field_matches(SearchFieldValue.field, field_name))
        .scalar_subquery()
    )
    return pick(per_entry)  # per subject: the smallest (asc) or largest (desc) of its entries


def _ordering(request: SearchRequest, score) -> list:  # noqa: ANN001 - a SQL expression
    if not request.sort:
        return [func.max(score).desc(), SearchEntry.subject]
    keys = []
    for field_name, order in request.sort:
        for numeric in (True, False):
            key = _sort_key(field_name, order, numeric)
            keys.append(key.is_(None))  # entries without the field go last
            keys.append(key.asc() if order == "asc" else key.desc())
    return [*keys, SearchEntry.subject]


def _entries_by_subject(session: Session, conditions: list, subjects: list[str]) -> dict[str, list[SearchEntry]]:
    grouped: dict[str, list[SearchEntry]] = defaultdict(list)
    if subjects:
        for entry in session.scalars(select(SearchEntry).where(*conditions, SearchEntry.subject.in_(subjects))):
            grouped[entry.subject].append(entry)
    return grouped


def run_search(session: Session, index: SearchIndex, request: SearchRequest,
               principals: frozenset[str] | None) -> dict[str, Any]:
    """A GSearchResult for the request, as seen by a caller with these principals."""
    tree = parse_query(request.q or "*", request.advanced)
    matched = match_conditions(index.id, request, principals, tree)
    results = matched + filters_condition(request.post_facet_filters, "post_facet_filters")
    score = score_expression(positive_terms(tree), request.boosts)
    total = session.scalar(select(func.count(func.distinct(SearchEntry.subject))).where(*results)) or 0
    subjects: list[str] = []
    if request.limit:
        page = (
            select(SearchEntry.subject).where(*results).group_by(SearchEntry.subject)
            .order_by(*_ordering(request, score)).offset(request.offset).limit(request.limit)
        )
        subjects = list(session.scalars(page))
    grouped = _entries_by_subject(session, results, subjects)
    body: dict[str, Any] = {
        "@datatype": "GSearchResult",
        "@version": VERSION,
        "count": len(subjects),
        "offset": request.offset,
        "total": total,
        "has_next_page": request.offset + len(subjects) < min(total, MAX_RESULTS),
        "gmeta": [gmeta_result(s, grouped[s]) for s in subjects],
    }
    if request.facets:
        matched_ids: Select = select(SearchEntry.id).where(*matched)
        body["facet_results"] = facet_results(session, matched_ids, request.facets)
    return body


def _decode_marker(marker: str | None) -> str | None:
    if not marker:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise bad_request("marker: not a marker this index issued", code="BadRequest.ValidationError") from None


def run_scroll(session: Session, index: SearchIndex, request: SearchRequest,
               principals: frozenset[str] | None) -> dict[str, Any]:
    """A GScrollResult: subjects in a stable order, resumed after the marker's subject."""
    conditions = match_conditions(index.id, request, principals)
    after = _decode_marker(request.marker)
    total = session.scalar(select(func.count(func.distinct(SearchEntry.subject))).where(*conditions)) or 0
    page_query = select(SearchEntry.subject).where(*conditions).group_by(SearchEntry.subject)
    if after is not None:
        page_query = page_query.where(SearchEntry.subject > after)
    subjects = list(session.scalars(page_query.order_by(SearchEntry.subject).limit(request.limit + 1)))
    has_next = len(subjects) > request.limit
    subjects = subjects[: request.limit]
    grouped = _entries_by_subject(session, conditions, subjects)
    marker = base64.urlsafe_b64encode(subjects[-1].encode("utf-8")).decode("ascii") if has_next and subjects else None
    return {
        "@datatype": "GScrollResult",
        "@version": VERSION,
        "count": len(subjects),
        "total": total,
        "has_next_page": has_next,
        "marker": marker,
        "gmeta": [gmeta_result(s, grouped[s]) for s in subjects],
    }
