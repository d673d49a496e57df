"""Per-user bookmarks: /v0.10/bookmark_list and /v0.10/bookmark/<id>."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emulator.auth.tokens import TokenContext
from emulator.db import db_session, write_lock
from emulator.errors import GlobusError
from emulator.transfer.access import get_collection
from emulator.transfer.documents import bookmark_document, result_document
from emulator.transfer.errors import bad_request
from emulator.transfer.http import bp
from emulator.transfer.http.request_args import (
    json_object,
    resource_path,
    string_field,
    transfer_caller,
)
from emulator.transfer.models import Bookmark
from emulator.transfer.storage.paths import parse_path

MAX_NAME_LENGTH = 128
MAX_BOOKMARKS_PER_USER = 1000
BOOKMARK_FIELDS = ("name", "endpoint_id", "path", "pinned", "id")


def _validated_name(body: dict) -> str:
    name = string_field(body, "name", max_length=MAX_NAME_LENGTH).strip()
    if not name:
        raise bad_request("A bookmark needs a non-empty name.", "InvalidName")
    if any(ord(ch) < 32 for ch in name):
        raise bad_request("A bookmark name may not contain control characters.", "InvalidName")
    return name


def _validated_path(body: dict) -> str:
    path = string_field(body, "path")
    if not path.startswith("/") or not path.endswith("/"):
        raise bad_request("A bookmark path must be a directory path starting and ending with '/'.", "InvalidPath")
    parse_path(path)  # refuses NUL bytes, over-long names and '..' above the root
    return path


def _validated_pinned(body: dict, default: bool) -> bool:
    value = body.get("pinned", default)
    if not isinstance(value, bool):
        raise bad_request("pinned must be true or false.")
    return value


def _name_taken(session: Session, ctx: TokenContext, name: str, except_id: str | None = None) -> bool:
    query = select(Bookmark.id).where(Bookmark.identity_id == ctx.identity_id, Bookmark.name == name)
    if except_id is not None:
        query = query.where(Bookmark.id != except_id)
    return session.scalar(query) is not None


def _own_bookmark(session: Session, ctx: TokenContext, bookmark_id: str) -> Bookmark:
    bookmark = session.get(Bookmark, bookmark_id)
    # Someone else's bookmark is reported exactly like a missing one.
    if bookmark is None or bookmark.identity_id != ctx.identity_id:
        raise GlobusError(404, "BookmarkNotFound", f"Bookmark '{bookmark_id}' not found.")
    return bookmark


def _exists(name: str) -> GlobusError:
    return GlobusError(409, "Exists", f"A bookmark named '{name}' already exists.")


@bp.get("/v0.10/bookmark_list")
def bookmark_list():
    """The caller's bookmarks, pinned first, then by name."""
    ctx = transfer_caller()
    session = db_session()
    rows = session.scalars(
        select(Bookmark)
        .where(Bookmark.identity_id == ctx.identity_id)
        .order_by(Bookmark.pinned.desc(), func.lower(Bookmark.name), Bookmark.id)
    ).all()
    return jsonify({"DATA_TYPE": "bookmark_list", "DATA": [bookmark_document(row) for row in rows]})


@bp.post("/v0.10/bookmark")
def create_bookmark():
    """Bookmark a directory on a collection; names are unique per user."""
    ctx = transfer_caller()
    session = db_session()
    body = json_object("bookmark", allowed=BOOKMARK_FIELDS, required=("name", "endpoint_id", "path"))
    name = _validated_name(body)
    collection = get_collection(session, string_field(body, "endpoint_id", max_length=64))
    path = _validated_path(body)
    pinned = _validated_pinned(body, False)
    with write_lock:
        if _name_taken(session, ctx, name):
            raise _exists(name)
        count = session.scalar(
            select(func.count()).select_from(Bookmark).where(Bookmark.identity_id == ctx.identity_id)
        )
        if (count or 0) >= MAX_BOOKMARKS_PER_USER:
            raise GlobusError(409, "LimitExceeded", f"A user may keep at most {MAX_BOOKMARKS_PER_USER} bookmarks.")
        bookmark = Bookmark(
            identity_id=ctx.identity_id, name=name, collection_id=collection.id, path=path, pinned=pinned
        )
        session.add(bookmark)
        session.commit()
    return jsonify(bookmark_document(bookmark)), 201


@bp.get("/v0.10/bookmark/<bookmark_id>")
def get_bookmark(bookmark_id: str):
    """One of the caller's bookmarks."""
    ctx = transfer_caller()
    return jsonify(bookmark_document(_own_bookmark(db_session(), ctx, bookmark_id)))


@bp.put("/v0.10/bookmark/<bookmark_id>")
def update_bookmark(bookmark_id: str):
    """Rename or (un)pin a bookmark; its collection and path are fixed once created."""
    ctx = transfer_caller()
    session = db_session()
    bookmark = _own_bookmark(session, ctx, bookmark_id)
    body = json_object("bookmark", allowed=BOOKMARK_FIELDS)
    for fixed, current in (("endpoint_id", bookmark.collection_id), ("path", bookmark.path)):
        if fixed in body and body[fixed] != current:
            raise bad_request(
                f"{fixed} of a bookmark cannot be changed; create a new bookmark instead.", "ReadOnlyField"
            )
    if "name" not in body and "pinned" not in body:
        raise bad_request("Give a new name or pinned value.", "ClientError.BadRequest.MissingField")
    name = _validated_name(body) if "name" in body else bookmark.name
    pinned = _validated_pinned(body, bookmark.pinned)
    with write_lock:
        if _name_taken(session, ctx, name, except_id=bookmark.id):
            raise _exists(name)
        bookmark.name = name
        bookmark.pinned = pinned
        session.commit()
    return jsonify(bookmark_document(bookmark))


@bp.delete("/v0.10/bookmark/<bookmark_id>")
def delete_bookmark(bookmark_id: str):
    """Delete one of the caller's bookmarks."""
    ctx = transfer_caller()
    session = db_session()
    bookmark = _own_bookmark(session, ctx, bookmark_id)
    with write_lock:
        session.delete(bookmark)
        session.commit()
    return jsonify(result_document("Deleted", f"Bookmark '{bookmark_id}' deleted successfully", resource_path()))
