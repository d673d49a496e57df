"""Endpoint (collection) search and documents: /v0.10/endpoint_search, /v0.10/endpoint/<id>."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext
from emulator.db import db_session
from emulator.transfer.access import (
    GUEST_KINDS,
    effective_roles,
    get_collection,
    is_mapped_identity,
    is_owner,
    rule_applies,
)
from emulator.transfer.documents import endpoint_document
from emulator.transfer.errors import bad_request
from emulator.transfer.http import bp
from emulator.transfer.http.request_args import bool_arg, int_arg, transfer_caller
from emulator.transfer.models import ENTITY_TYPES, AclRule, Collection, RecentUse
from emulator.transfer.tasks.models import LIVE_STATUSES, Task

SEARCH_SCOPES = (
    "all",
    "my-endpoints",
    "my-gcp-endpoints",
    "recently-used",
    "in-use",
    "shared-by-me",
    "shared-with-me",
    "administered-by-me",
)
ENTITY_TYPE_VALUES = (
    "GCP_mapped_collection",
    "GCP_guest_collection",
    "GCSv5_endpoint",
    "GCSv5_mapped_collection",
    "GCSv5_guest_collection",
)
MAX_SEARCH_RESULTS = 1000


def _in_use_ids(session: Session, ctx: TokenContext) -> set[str]:
    rows = session.execute(
        select(Task.source_endpoint_id, Task.destination_endpoint_id).where(
            Task.owner_id == ctx.identity_id, Task.status.in_(LIVE_STATUSES)
        )
    ).all()
    return {cid for row in rows for cid in row if cid}


def _document(session: Session, ctx: TokenContext, collection: Collection, in_use: set[str]) -> dict:
    host = session.get(Collection, collection.host_collection_id) if collection.host_collection_id else None
    return endpoint_document(
        collection,
        base_url=request.url_root,
        roles=effective_roles(session, ctx, collection),
        host=host,
        in_use=collection.id in in_use,
    )


@bp.get("/v0.10/endpoint/<collection_id>")
def get_endpoint(collection_id: str):
    """One endpoint document, with the caller's effective roles."""
    ctx = transfer_caller()
    session = db_session()
    collection = get_collection(session, collection_id)
    return jsonify(_document(session, ctx, collection, _in_use_ids(session, ctx)))


def _shared_with(session: Session, ctx: TokenContext, collection: Collection) -> bool:
    rules = session.scalars(
        select(AclRule).where(AclRule.collection_id == collection.id, AclRule.principal_type.in_(("identity", "group")))
    ).all()
    return any(rule_applies(rule, ctx) for rule in rules)


def _visible(session: Session, ctx: TokenContext, collection: Collection) -> bool:
    """Public collections, plus private ones the caller owns, administers, is mapped on or shares."""
    return (
        collection.public
        or is_owner(ctx, collection)
        or bool(effective_roles(session, ctx, collection))
        or (collection.kind == "mapped" and is_mapped_identity(session, ctx, collection))
        or (collection.kind in GUEST_KINDS and _shared_with(session, ctx, collection))
    )


def _in_scope(session: Session, ctx: TokenContext, collection: Collection, scope: str, in_use: set[str]) -> bool:
    if scope == "all":
        return _visible(session, ctx, collection)
    if scope == "my-endpoints":
        return is_owner(ctx, collection)
    if scope == "my-gcp-endpoints":
        return is_owner(ctx, collection) and collection.kind == "personal"
    if scope == "in-use":
        return collection.id in in_use
    if scope == "shared-by-me":
        return is_owner(ctx, collection) and collection.kind in GUEST_KINDS
    if scope == "shared-with-me":
        return (
            collection.kind in GUEST_KINDS and not is_owner(ctx, collection) and _shared_with(session, ctx, collection)
        )
    if scope == "administered-by-me":
        return "administrator" in effective_roles(session, ctx, collection)
    return False


def _fulltext_rank(collection: Collection, words: list[str]) -> int | None:
    """None when a word is missing; otherwise how many words hit the display name (for ordering)."""
    haystack = " ".join(
        [
            collection.display_name,
            collection.description,
            collection.organization,
            collection.department,
            collection.keywords,
            collection.owner_string,
            collection.id,
            collection.slug,
        ]
    ).lower()
    if not all(word in haystack for word in words):
        return None
    name = collection.display_name.lower()
    return sum(1 for word in words if word in name)


def _search_args() -> dict:
    scope = request.args.get("filter_scope") or "all"
    if scope not in SEARCH_SCOPES:
        raise bad_request(f"Invalid filter_scope {scope!r}: use one of {', '.join(SEARCH_SCOPES)}.")
    fulltext = (request.args.get("filter_fulltext") or "").strip()
    owner_id = request.args.get("filter_owner_id") or None
    host_id = request.args.get("filter_host_endpoint") or None
    if scope == "all" and not (fulltext or owner_id or host_id):
        raise bad_request("filter_fulltext is required when filter_scope is 'all'.")
    if owner_id and scope in ("my-endpoints", "my-gcp-endpoints", "shared-by-me"):
        raise bad_request(f"filter_owner_id conflicts with filter_scope {scope!r}.")
    entity_type = request.args.get("filter_entity_type") or None
    if entity_type is not None and entity_type not in ENTITY_TYPE_VALUES:
        raise bad_request(f"Invalid filter_entity_type {entity_type!r}.")
    non_functional = None
    if request.args.get("filter_non_functional") not in (None, ""):
        if entity_type is not None:
            raise bad_request("filter_non_functional and filter_entity_type are mutually exclusive.")
        non_functional = bool_arg("filter_non_functional", False)
    limit = int_arg("limit", 25, minimum=1, maximum=100)
    offset = int_arg("offset", 0, minimum=0, maximum=MAX_SEARCH_RESULTS - 1)
    if offset + limit > MAX_SEARCH_RESULTS:
        raise bad_request(f"offset + limit may not exceed {MAX_SEARCH_RESULTS}.")
    return {
        "scope": scope,
        "words": fulltext.lower().split(),
        "owner_id": owner_id,
        "host_id": host_id,
        "entity_type": entity_type,
        "non_functional": non_functional,
        "limit": limit,
        "offset": offset,
    }


@bp.get("/v0.10/endpoint_search")
def endpoint_search():
    """Search the collections the caller can see, by text and scope, paged by limit/offset."""
    ctx = transfer_caller()
    session = db_session()
    args = _search_args()
    in_use = _in_use_ids(session, ctx)
    query = select(Collection)
    if args["owner_id"]:
        query = query.where(Collection.owner_id == args["owner_id"])
    if args["host_id"]:
        query = query.where(Collection.host_collection_id == args["host_id"])
    if args["entity_type"]:
        kinds = [kind for kind, etype in ENTITY_TYPES.items() if etype == args["entity_type"]]
        query = query.where(or_(*(Collection.kind == kind for kind in kinds)) if kinds else Collection.id.is_(None))
    if args["non_functional"]:
        query = query.where(Collection.id.is_(None))  # every emulated entity is a functional collection
    ranked: list[tuple[float, str, Collection]] = []
    recent = {}
    if args["scope"] == "recently-used":
        recent = dict(
            session.execute(
                select(RecentUse.collection_id, RecentUse.last_used_at).where(RecentUse.identity_id == ctx.identity_id)
            ).all()
        )
    for collection in session.scalars(query).all():
        if args["scope"] == "recently-used":
            if collection.id not in recent:
                continue
        elif not _in_scope(session, ctx, collection, args["scope"], in_use):
            continue
        rank = _fulltext_rank(collection, args["words"])
        if rank is None:
            continue
        order = -recent[collection.id] if args["scope"] == "recently-used" else -rank
        ranked.append((order, collection.display_name.lower(), collection))
    ranked.sort(key=lambda item: (item[0], item[1]))
    ranked = ranked[:MAX_SEARCH_RESULTS]
    page = ranked[args["offset"] : args["offset"] + args["limit"]]
    return jsonify(
        {
            "DATA_TYPE": "endpoint_list",
            "offset": args["offset"],
            "limit": args["limit"],
            "has_next_page": args["offset"] + len(page) < len(ranked),
            "DATA": [_document(session, ctx, collection, in_use) for _, _, collection in page],
        }
    )
