"""Filesystem operations on a collection: ls, stat, mkdir, rename under /v0.10/operation/endpoint/<id>/."""

from __future__ import annotations

import errno
import os

from flask import jsonify, request

from emulator.db import db_session
from emulator.errors import GlobusError
from emulator.transfer.access import get_collection, note_use, require_access
from emulator.transfer.documents import result_document
from emulator.transfer.http import bp
from emulator.transfer.http.request_args import (
    bool_arg,
    int_arg,
    json_object,
    resource_path,
    string_field,
    transfer_caller,
)
from emulator.transfer.storage.listing import entry_for, list_directory
from emulator.transfer.storage.listing_query import parse_listing_filters, parse_listing_orderby
from emulator.transfer.storage.paths import CollectionPath, parse_path

MAX_LS_LIMIT = 100_000


def _not_found(cpath: CollectionPath, what: str = "Path") -> GlobusError:
    return GlobusError(404, "ClientError.NotFound", f"{what} '{cpath.display()}' not found.")


def _external(operation: str, reason: str, message: str) -> GlobusError:
    # Transfer reports storage-side failures as 502 ExternalError.*; the SDK does not retry those.
    return GlobusError(502, f"ExternalError.{operation}.{reason}", message)


def _open_operation(collection_id: str):
    ctx = transfer_caller()
    session = db_session()
    collection = get_collection(session, collection_id)
    return ctx, session, collection


@bp.get("/v0.10/operation/endpoint/<collection_id>/ls")
def operation_ls(collection_id: str):
    """List a directory, one page at a time (limit/offset), filtered and ordered as asked."""
    ctx, session, collection = _open_operation(collection_id)
    cpath = parse_path(request.args.get("path"))
    limit = int_arg("limit", MAX_LS_LIMIT, minimum=1, maximum=MAX_LS_LIMIT)
    offset = int_arg("offset", 0, minimum=0, maximum=10**9)
    show_hidden = bool_arg("show_hidden", True)
    filters = parse_listing_filters(request.args.getlist("filter"))
    order_key = parse_listing_orderby(request.args.get("orderby"))
    directory = require_access(session, ctx, collection, cpath, "r")
    try:
        page = list_directory(
            directory,
            collection.root_path,
            show_hidden=show_hidden,
            filters=filters,
            order_key=order_key,
            offset=offset,
            limit=limit,
        )
    except FileNotFoundError:
        raise GlobusError(
            404,
            "ClientError.NotFound",
            f"Directory '{cpath.display(directory=True)}' not found on endpoint {collection.display_name}.",
        ) from None
    except NotADirectoryError:
        raise _external(
            "DirListingFailed",
            "NotDirectory",
            f"'{cpath.display()}' is not a directory on endpoint {collection.display_name}.",
        ) from None
    note_use(session, ctx, [collection])
    return jsonify(
        {
            "DATA_TYPE": "file_list",
            "endpoint": collection.id,
            "path": cpath.display(directory=True),
            "absolute_path": cpath.as_directory,
            "rename_supported": True,
            "symlink_supported": True,
            "length": len(page.documents),
            "total": page.total,
            "offset": offset,
            "limit": limit,
            "has_next_page": offset + len(page.documents) < page.total,
            "DATA": page.documents,
        }
    )


@bp.get("/v0.10/operation/endpoint/<collection_id>/stat")
def operation_stat(collection_id: str):
    """Describe one file or directory (a symlink itself, not followed out of the collection)."""
    ctx, session, collection = _open_operation(collection_id)
    cpath = parse_path(request.args.get("path"))
    target = require_access(session, ctx, collection, cpath, "r", follow_final=False)
    try:
        entry = entry_for(os.path.realpath(collection.root_path), target, cpath.name or "/")
        document = entry.document()
    except FileNotFoundError:
        raise GlobusError(
            404, "NotFound", f"Path not found: '{cpath.display()}' on {collection.display_name}."
        ) from None
    note_use(session, ctx, [collection])
    return jsonify(document)


@bp.post("/v0.10/operation/endpoint/<collection_id>/mkdir")
def operation_mkdir(collection_id: str):
    """Create one directory (its parent must exist)."""
    ctx, session, collection = _open_operation(collection_id)
    body = json_object("mkdir", allowed=("path", "local_user"), required=("path",))
    cpath = parse_path(string_field(body, "path"))
    if not cpath.parts:
        raise _external("MkdirFailed", "Exists", f"Directory '{cpath.display()}' already exists.")
    target = require_access(session, ctx, collection, cpath, "rw", follow_final=False)
    try:
        os.mkdir(target, 0o755)
    except FileExistsError:
        raise _external("MkdirFailed", "Exists", f"Path '{cpath.display()}' already exists.") from None
    except FileNotFoundError:
        # Real Transfer relays the storage's "No such file or directory"; scripts match on that text.
        raise GlobusError(
            404,
            "ClientError.NotFound",
            f"Parent directory '{cpath.parent.display()}' not found: No such file or directory.",
        ) from None
    except NotADirectoryError:
        raise _external("MkdirFailed", "NotDirectory", f"'{cpath.parent.display()}' is not a directory.") from None
    except OSError as err:
        raise _storage_error("MkdirFailed", err) from None
    note_use(session, ctx, [collection])
    return jsonify(
        result_document(
            "DirectoryCreated",
            "The directory was created successfully",
            resource_path(),
            data_type="mkdir_result",
        )
    )


@bp.post("/v0.10/operation/endpoint/<collection_id>/rename")
def operation_rename(collection_id: str):
    """Rename or move a file or directory within the collection; never overwrites."""
    ctx, session, collection = _open_operation(collection_id)
    body = json_object("rename", allowed=("old_path", "new_path", "local_user"), required=("old_path", "new_path"))
    old = parse_path(string_field(body, "old_path"))
    new = parse_path(string_field(body, "new_path"))
    if not old.parts or not new.parts:
        raise GlobusError(400, "ClientError.BadRequest.InvalidPath", "The collection root cannot be renamed.")
    if new.parts[: len(old.parts)] == old.parts:
        raise GlobusError(
            400,
            "ClientError.BadRequest.InvalidPath",
            f"Cannot move '{old.display()}' inside itself ('{new.display()}').",
        )
    source = require_access(session, ctx, collection, old, "rw", follow_final=False)
    destination = require_access(session, ctx, collection, new, "rw", follow_final=False)
    if not os.path.lexists(source):
        raise _not_found(old)
    if os.path.lexists(destination):
        raise _external("RenameFailed", "Exists", f"Destination '{new.display()}' already exists.")
    try:
        os.rename(source, destination)
    except FileNotFoundError:
        raise _not_found(new.parent, "Destination directory") from None
    except OSError as err:
        raise _storage_error("RenameFailed", err) from None
    note_use(session, ctx, [collection])
    return jsonify(result_document("FileRenamed", "File or directory renamed successfully", resource_path()))


def _storage_error(operation: str, err: OSError) -> GlobusError:
    reason = {
        errno.ENOTDIR: "NotDirectory",
        errno.EACCES: "PermissionDenied",
        errno.ENOSPC: "NoSpace",
        errno.ENAMETOOLONG: "NameTooLong",
        errno.ENOTEMPTY: "NotEmpty",
    }.get(err.errno or 0, "IOError")
    return _external(operation, reason, f"The storage system refused the operation: {err.strerror}.")
