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
from emulator.search.query_sql import field_matches, score_table, tree_condition
from emulator.search.query_text import QueryTree, parse_query, positive_terms
from emulator.search.search_request import MAX_RESULTS, SearchRequest


def visible_to(principals: frozenset[str] | None) -> ColumnElement[bool]:
    """Entries whose visible_to names one of the principals (None: no restriction)."""
    if principals is None:
        return SearchEntry.id.is_not(None)
    return exists().where(
        SearchEntryPrincipal.entry_pk == SearchEntry.id, SearchEntryPrincipal.principal.in_(principals)
    )


def match_conditions(
    index_id: str, request: SearchRequest, principals: frozenset[str] | None, tree: QueryTree | None = None
) -> list[ColumnElement[bool]]:
    """Conditions for entries the query matches, before post-facet filters."""
    if tree is None:
        tree = parse_query(request.q or "*", request.advanced)
    return [
        SearchEntry.index_id == index_id,
        visible_to(principals),
        tree_condition(tree),
        *filters_condition(request.filters),
    ]


def _sort_table(session: Session, index_id: str, field_name: str, order: str, position: int):  # noqa: ANN202
    """(pk, value) per entry for one sort key: numbers (and dates) when the field has any, else text."""
    numeric = (
        session.scalar(
            select(SearchFieldValue.entry_pk)
            .join(SearchEntry, SearchEntry.id == SearchFieldValue.entry_pk)
            .where(
                SearchEntry.index_id == index_id,
                field_matches(SearchFieldValue.field, field_name),
                SearchFieldValue.value_number.is_not(None),
            )
            .limit(1)
        )
        is not None
    )
    column = SearchFieldValue.value_number if numeric else SearchFieldValue.value_lower
    pick = func.min if order == "asc" else func.max
    return (
        select(SearchFieldValue.entry_pk.label("pk"), pick(column).label("value"))
        .where(field_matches(SearchFieldValue.field, field_name), column.is_not(None))
        .group_by(SearchFieldValue.entry_pk)
        .subquery(f"sort_{position}")
    )


def page_query(
    session: Session, index_id: str, request: SearchRequest, results: list, tree: QueryTree | None
) -> Select:
    """Subjects of the requested page: by relevance, or by the sort keys; subject breaks ties."""
    # Each page row carries its subject's matching entry ids, so entries load by primary key.
    query = select(SearchEntry.subject, func.group_concat(SearchEntry.id)).where(*results)
    ordering = []
    if request.sort:
        for position, (field_name, order) in enumerate(request.sort):
            table = _sort_table(session, index_id, field_name, order, position)
            query = query.outerjoin(table, table.c.pk == SearchEntry.id)
            # Per subject, the smallest (asc) or largest (desc) value of its entries; missing last.
            key = func.min(table.c.value) if order == "asc" else func.max(table.c.value)
            ordering += [key.is_(None), key.asc() if order == "asc" else key.desc()]
    else:
        scores = score_table(positive_terms(tree), request.boosts)
        if scores is not None:
            query = query.outerjoin(scores, scores.c.pk == SearchEntry.id)
            ordering.append(func.max(func.coalesce(scores.c.score, 0)).desc())
    return (
        query.group_by(SearchEntry.subject)
        .order_by(*ordering, SearchEntry.subject)
        .offset(request.offset)
        .limit(request.limit)
    )


def _entries_by_subject(session: Session, rows: list[tuple[str, str]]) -> dict[str, list[SearchEntry]]:
    """Entries of (subject, "id,id,...") page rows, loaded by primary key and grouped by subject."""
    grouped: dict[str, list[SearchEntry]] = defaultdict(list)
    ids = [int(pk) for _subject, joined in rows for pk in str(joined).split(",")]
    if ids:
        for entry in session.scalars(select(SearchEntry).where(SearchEntry.id.in_(ids))):
            grouped[entry.subject].append(entry)
    return grouped


def run_search(
    session: Session, index: SearchIndex, request: SearchRequest, principals: frozenset[str] | None
) -> dict[str, Any]:
    """A GSearchResult for the request, as seen by a caller with these principals."""
    tree = parse_query(request.q or "*", request.advanced)
    matched = match_conditions(index.id, request, principals, tree)
    results = matched + filters_condition(request.post_facet_filters, "post_facet_filters")
    total = session.scalar(select(func.count(func.distinct(SearchEntry.subject))).where(*results)) or 0
    rows: list[tuple[str, str]] = []
    if request.limit:
        rows = [tuple(row) for row in session.execute(page_query(session, index.id, request, results, tree))]
    subjects = [subject for subject, _ids in rows]
    grouped = _entries_by_subject(session, rows)
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


def run_scroll(
    session: Session, index: SearchIndex, request: SearchRequest, principals: frozenset[str] | None
) -> dict[str, Any]:
    """A GScrollResult: subjects in a stable order, resumed after the marker's subject."""
    conditions = match_conditions(index.id, request, principals)
    after = _decode_marker(request.marker)
    total = session.scalar(select(func.count(func.distinct(SearchEntry.subject))).where(*conditions)) or 0
    query = select(SearchEntry.subject, func.group_concat(SearchEntry.id)).where(*conditions)
    if after is not None:
        query = query.where(SearchEntry.subject > after)
    query = query.group_by(SearchEntry.subject).order_by(SearchEntry.subject).limit(request.limit + 1)
    rows = [tuple(row) for row in session.execute(query)]
    has_next = len(rows) > request.limit
    rows = rows[: request.limit]
    subjects = [subject for subject, _ids in rows]
    grouped = _entries_by_subject(session, rows)
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
