"""Collection HTTPS access: stream files out (with byte ranges), upload them, delete them.

The caller sends a bearer token whose resource server is the collection id (scope
`https://auth.globus.org/scopes/<collection id>/https`); a public collection also serves
anonymous reads. Access rules are the collection's own, applied by `emulator.transfer.access`.
"""

from __future__ import annotations

import email.utils
import json
import mimetypes
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from flask import Response, request

from emulator.auth.tokens import TokenContext, bearer_from_request, require_token
from emulator.db import db_session
from emulator.errors import GlobusError
from emulator.https import bp
from emulator.https.ranges import RangeNotSatisfiable, parse_range
from emulator.transfer.access import READ, WRITE, get_collection, require_access
from emulator.transfer.models import Collection
from emulator.transfer.storage.quota import QuotaExceeded, QuotaGuard
from emulator.transfer.tasks.runtime import temp_name

CHUNK = 64 * 1024
METHODS = ["GET", "HEAD", "PUT", "DELETE"]


def _caller(collection: Collection) -> TokenContext | None:
    """The token's identity, or None for an anonymous request (a bad token is a 401, not anonymous)."""
    if bearer_from_request() is None:
        return None
    return require_token(collection.id)


def _authentication_required() -> GlobusError:
    return GlobusError(
        401, "AuthenticationFailed", "This request needs a bearer token for the collection's https scope."
    )


def _checked_path(collection: Collection, ctx: TokenContext | None, path: str, mode: str) -> Path:
    if collection.kind == "personal":
        raise GlobusError(404, "ClientError.NotFound", "This collection has no HTTPS server.")
    if ctx is None and mode != READ:
        raise _authentication_required()
    try:
        return require_access(db_session(), ctx, collection, "/" + path, mode, via="https", follow_final=mode == READ)
    except GlobusError as err:
        if ctx is None and err.status == 403:
            raise _authentication_required() from err
        raise


def _not_found(path: str) -> GlobusError:
    return GlobusError(404, "ClientError.NotFound", f"No such file: /{path}")


def _is_a_directory(path: str) -> GlobusError:
    return GlobusError(409, "ClientError.Conflict", f"/{path} is a directory; HTTPS access works on files only.")


@bp.route("/<collection_id>", defaults={"path": ""}, methods=METHODS)
@bp.route("/<collection_id>/", defaults={"path": ""}, methods=METHODS)
@bp.route("/<collection_id>/<path:path>", methods=METHODS)
def collection_file(collection_id: str, path: str):
    """GET/HEAD/PUT/DELETE one file on a collection."""
    collection = get_collection(db_session(), collection_id)
    ctx = _caller(collection)
    if request.method in ("GET", "HEAD"):
        return _read(collection, ctx, path)
    if request.method == "PUT":
        return _upload(collection, ctx, path)
    return _delete(collection, ctx, path)


def _etag(info: os.stat_result) -> str:
    return f'"{info.st_mtime_ns:x}-{info.st_size:x}"'


def _file_headers(target: Path, info: os.stat_result) -> dict[str, str]:
    headers = {
        "Content-Type": mimetypes.guess_type(target.name)[0] or "application/octet-stream",
        "Accept-Ranges": "bytes",
        "Last-Modified": email.utils.formatdate(info.st_mtime, usegmt=True),
        "ETag": _etag(info),
    }
    if request.args.get("download") in ("1", "true"):
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(target.name, safe='')}"
    return headers


def _stream(target: Path, first: int, length: int) -> Iterator[bytes]:
    with open(target, "rb") as handle:
        handle.seek(first)
        left = length
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


def _read(collection: Collection, ctx: TokenContext | None, path: str) -> Response:
    target = _checked_path(collection, ctx, path, READ)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        raise _not_found(path) from None
    except PermissionError:
        raise GlobusError(403, "EndpointPermissionDenied", f"Permission denied reading /{path}") from None
    if stat.S_ISDIR(info.st_mode):
        if request.method == "HEAD":
            # GCS answers HEAD on a folder with this type, so clients can tell a folder from a file.
            return Response(status=200, headers={"Content-Type": "httpd/unix-directory", "Content-Length": "0"})
        raise _is_a_directory(path)
    headers = _file_headers(target, info)
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return Response(status=304, headers=headers)
    size = info.st_size
    wanted = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range and if_range != headers["ETag"]:
        wanted = None  # the file changed since the client's copy: send all of it
    try:
        byte_range = parse_range(wanted, size)
    except RangeNotSatisfiable:
        body = GlobusError(416, "RangeNotSatisfiable", f"The range {wanted!r} lies outside the {size}-byte file.")
        response = Response(json.dumps(body.to_dict()), status=416, mimetype="application/json")
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    status, first, length = 200, 0, size
    if byte_range is not None:
        first, last = byte_range
        status, length = 206, last - first + 1
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(status=status, headers=headers)
    # Open now, so an unreadable file is a clean 403 rather than an error mid-stream.
    try:
        open(target, "rb").close()
    except PermissionError:
        raise GlobusError(403, "EndpointPermissionDenied", f"Permission denied reading /{path}") from None
    return Response(_stream(target, first, length), status=status, headers=headers, direct_passthrough=True)


def _upload(collection: Collection, ctx: TokenContext | None, path: str) -> Response:
    if not path or path.endswith("/"):
        raise GlobusError(400, "ClientError.BadRequest", "PUT needs a file path, not a directory.")
    target = _checked_path(collection, ctx, path, WRITE)
    if target.is_dir() and not target.is_symlink():
        raise _is_a_directory(path)
    parent = target.parent
    if not parent.exists():
        raise GlobusError(404, "ClientError.NotFound", f"The parent directory of /{path} does not exist.")
    if not parent.is_dir():
        raise GlobusError(409, "ClientError.Conflict", f"A parent of /{path} is not a directory.")
    existed = os.path.lexists(target)
    old_size = target.stat().st_size if existed and target.is_file() else 0
    guard = QuotaGuard(db_session(), collection)
    declared = request.content_length
    try:
        if declared is not None:
            guard.check(declared - old_size)
    except QuotaExceeded as err:
        raise GlobusError(507, "QuotaExceeded", str(err)) from err
    received = _receive(target, guard, old_size, declared)
    return Response(
        status=201 if not existed else 200, headers={"Content-Length": "0", "X-Bytes-Written": str(received)}
    )


def _receive(target: Path, guard: QuotaGuard, old_size: int, declared: int | None) -> int:
    """Stream the request body into a temporary file, then move it into place."""
    temp = temp_name(str(target), secrets.token_hex(4))
    received = 0
    try:
        try:
            handle = open(temp, "wb")  # noqa: SIM115 - closed by the with block below
        except PermissionError:
            raise GlobusError(403, "EndpointPermissionDenied", "The collection refused the write.") from None
        except OSError as err:
            raise GlobusError(507, "InsufficientStorage", f"The file could not be stored: {err.strerror}") from None
        with handle:
            while True:
                data = request.stream.read(CHUNK)
                if not data:
                    break
                received += len(data)
                try:
                    guard.check(received - old_size)
                except QuotaExceeded as err:
                    raise GlobusError(507, "QuotaExceeded", str(err)) from err
                try:
                    handle.write(data)
                except OSError as err:
                    raise GlobusError(
                        507, "InsufficientStorage", f"The file could not be stored: {err.strerror}"
                    ) from None
        if declared is not None and received != declared:
            raise GlobusError(
                400, "ClientError.BadRequest", f"The body ended after {received} of {declared} declared bytes."
            )
        os.replace(temp, target)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
    return received


def _delete(collection: Collection, ctx: TokenContext | None, path: str) -> Response:
    if not path:
        raise GlobusError(409, "ClientError.Conflict", "The collection root cannot be deleted.")
    target = _checked_path(collection, ctx, path, WRITE)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        raise _not_found(path) from None
    if stat.S_ISDIR(info.st_mode):
        raise _is_a_directory(path)
    try:
        os.unlink(target)
    except FileNotFoundError:
        raise _not_found(path) from None
    except PermissionError:
        raise GlobusError(403, "EndpointPermissionDenied", f"Permission denied deleting /{path}") from None
    return Response(status=204)
