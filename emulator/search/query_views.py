"""Search v1 queries: GET and POST /v1/index/<id>/search, POST /v1/index/<id>/scroll."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from emulator.db import db_session
from emulator.search import bp
from emulator.search.access import has_role, load_index, optional_caller, principals_of
from emulator.search.documents import bad_request, search_error
from emulator.search.engine import run_scroll, run_search
from emulator.search.search_request import SearchRequest, from_body, from_query_params

MAX_BODY_BYTES = 10 * 1024 * 1024


def json_body() -> Any:
    """The request's JSON body, or a 400/413 GError saying why there is none."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise search_error(413, "RequestTooLarge", f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
    body = request.get_json(silent=True)
    if body is None:
        raise bad_request(f"{request.path} requires a JSON payload (Content-Type: application/json).")
    return body


def _visible_principals(index_id: str, search: SearchRequest) -> frozenset[str] | None:
    caller = optional_caller()
    if not search.bypass_visible_to:
        return principals_of(caller)
    if not has_role(db_session(), index_id, caller, "admin"):
        raise search_error(
            403, "Forbidden.Generic", "bypass_visible_to is allowed only for administrators of the index."
        )
    return None


@bp.get("/v1/index/<index_id>/search")
def search_get(index_id: str):
    """Simple query from URL parameters."""
    session = db_session()
    index = load_index(session, index_id)
    search = from_query_params(request.args)
    return jsonify(run_search(session, index, search, _visible_principals(index.id, search)))


@bp.post("/v1/index/<index_id>/search")
def search_post(index_id: str):
    """Query from a GSearchRequest document (filters, facets, sort, boosts)."""
    session = db_session()
    index = load_index(session, index_id)
    search = from_body(json_body())
    return jsonify(run_search(session, index, search, _visible_principals(index.id, search)))


@bp.post("/v1/index/<index_id>/scroll")
def scroll_post(index_id: str):
    """Scroll every matching subject, page after page, by marker."""
    session = db_session()
    index = load_index(session, index_id)
    search = from_body(json_body(), scroll=True)
    return jsonify(run_scroll(session, index, search, _visible_principals(index.id, search)))
