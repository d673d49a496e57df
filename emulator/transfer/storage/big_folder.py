"""The big folder: one directory of many small files, for listing and paging tests and benchmarks.

Built on request by the control API (`/_emulator/big-folder`) or `--big-folder N`; never reachable
with a Globus token.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.db import session_scope, write_lock
from emulator.errors import GlobusError, bad_request
from emulator.transfer.models import BigFolder, Collection
from emulator.transfer.seed import BIG_FOLDER_PATH, BIG_FOLDER_SLUG, collection_id
from emulator.transfer.storage.paths import fs_path, parse_path

MAX_BIG_FOLDER_ENTRIES = 1_000_000
# Only one thread may build the big folder at a time; the second caller waits and finds it done.
_big_folder_lock = threading.Lock()


def big_folder_entry_name(index: int) -> str:
    """The name of the index-th file of the big folder (zero padded, so name order = creation order)."""
    return f"entry_{index:07d}.dat"


def _fill_folder(folder: Path, entries: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for index in range(entries):
        fd = os.open(folder / big_folder_entry_name(index), flags, 0o644)
        try:
            # A few bytes each, so sizes and checksums are not all identical.
            os.write(fd, b"%d\n" % index)
        finally:
            os.close(fd)


def _folder_record(session: Session) -> BigFolder:
    record = session.scalar(select(BigFolder).where(BigFolder.collection_id == collection_id(BIG_FOLDER_SLUG)))
    if record is None:
        record = BigFolder(collection_id=collection_id(BIG_FOLDER_SLUG), path=BIG_FOLDER_PATH, entries=0, created=False)
        session.add(record)
    return record


def _summary(record: BigFolder) -> dict:
    return {
        "collection_id": record.collection_id,
        "path": record.path,
        "entries": record.entries,
        "created": record.created,
    }


def create_big_folder(app, entries: int) -> dict:  # noqa: ANN001 - Flask app
    """Create, once, a folder of `entries` small files on the big-folder collection; return its record."""
    if not isinstance(entries, int) or isinstance(entries, bool) or not 1 <= entries <= MAX_BIG_FOLDER_ENTRIES:
        raise bad_request(f"entries must be an integer between 1 and {MAX_BIG_FOLDER_ENTRIES}.")
    with _big_folder_lock:
        with session_scope(app) as session:
            collection = session.get(Collection, collection_id(BIG_FOLDER_SLUG))
            if collection is None:
                raise GlobusError(404, "EndpointNotFound", "The big-folder collection is not seeded.")
            record = _folder_record(session)
            folder = fs_path(collection.root_path, parse_path(record.path))
            if record.created and folder.is_dir():
                return _summary(record)
            # Build beside the final name and rename at the end, so an interrupted run never
            # leaves a half-filled folder that looks finished.
            partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
            if partial.exists():
                shutil.rmtree(partial)
            if folder.exists():
                shutil.rmtree(folder)
            partial.mkdir(parents=True)
            _fill_folder(partial, entries)
            os.rename(partial, folder)
            with write_lock:
                record.entries = entries
                record.created = True
                record.created_at = int(time.time())
                session.commit()
            return _summary(record)
