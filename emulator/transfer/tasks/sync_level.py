"""Sync-level decisions and content checksums for transfers.

sync_level (the SDK sends 0-3): 0 exists, 1 size, 2 mtime, 3 checksum. With no sync_level every
file is copied; otherwise a file already on the destination is copied again only when the level's
comparison says it differs.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable

CHUNK = 1024 * 1024
DEFAULT_ALGORITHM = "MD5"
SYNC_EXISTS, SYNC_SIZE, SYNC_MTIME, SYNC_CHECKSUM = 0, 1, 2, 3


class _Adler32:
    """hashlib-style wrapper over zlib.adler32 (Globus accepts ADLER32 checksums)."""

    def __init__(self) -> None:
        self.value = 1

    def update(self, data: bytes) -> None:
        """Feed more bytes into the checksum."""
        self.value = zlib.adler32(data, self.value)

    def hexdigest(self) -> str:
        """The checksum as 8 hex digits."""
        return f"{self.value:08x}"


def new_hasher(algorithm: str | None):  # noqa: ANN201 - hashlib object or _Adler32
    """A running hash for one of MD5, SHA1, SHA256, SHA512, ADLER32 (MD5 when unspecified)."""
    name = (algorithm or DEFAULT_ALGORITHM).upper()
    if name == "ADLER32":
        return _Adler32()
    return hashlib.new(name.lower())


def file_checksum(path: str, algorithm: str | None, on_chunk: Callable[[int], None]) -> str:
    """Hex checksum of a file's content; `on_chunk(n)` is called per chunk (progress, cancellation)."""
    hasher = new_hasher(algorithm)
    with open(path, "rb") as handle:
        while True:
            data = handle.read(CHUNK)
            if not data:
                break
            hasher.update(data)
            on_chunk(len(data))
    return hasher.hexdigest()


def needs_copy(
    level: int | None,
    source: str,
    source_stat: os.stat_result,
    destination: str,
    checksum: Callable[[str], str],
) -> bool:
    """Whether the file must be copied, given the destination's current state and the sync level."""
    try:
        dest_stat = os.stat(destination)
    except FileNotFoundError:
        return True
    if level is None:
        return True
    if level == SYNC_EXISTS:
        return False
    if level == SYNC_SIZE:
        return dest_stat.st_size != source_stat.st_size
    if level == SYNC_MTIME:
        # Whole seconds: sub-second timestamps are not preserved by every filesystem.
        return int(source_stat.st_mtime) > int(dest_stat.st_mtime)
    if dest_stat.st_size != source_stat.st_size:
        return True
    return checksum(source) != checksum(destination)
