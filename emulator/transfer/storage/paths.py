"""Path confinement: map a Globus path on a collection to a file under that collection's root.

A Globus path is POSIX-like: "/" (or "/~/", the home directory, which for every emulated collection
is its root) followed by names. Every name is kept literally (spaces, unicode, leading dashes are
fine); "." and ".." are resolved lexically and may never climb above the root; NUL bytes and
over-long names are refused; a symlink may be listed but never followed out of the root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from emulator.errors import GlobusError

MAX_PATH_LENGTH = 4096
MAX_NAME_BYTES = 255
HOME_PREFIXES = ("/~/", "~/")


@dataclass(frozen=True)
class CollectionPath:
    """A validated path on a collection: its names below the root and the form to echo back."""

    parts: tuple[str, ...]
    # True when the caller addressed the home directory ("/~/..."); echoed back in that form.
    home_relative: bool = False

    @property
    def posix(self) -> str:
        """The canonical absolute path ("/a/b"), "/" for the root."""
        return "/" + "/".join(self.parts)

    @property
    def as_directory(self) -> str:
        """The path with a trailing slash, as Transfer echoes directory paths."""
        return "/" if not self.parts else self.posix + "/"

    def display(self, directory: bool = False) -> str:
        """The path as Transfer reports it back: keeps the "/~/" form the caller used."""
        body = "/".join(self.parts)
        if self.home_relative:
            text = "/~/" + body
        else:
            text = "/" + body
        if directory and not text.endswith("/"):
            text += "/"
        return text

    @property
    def name(self) -> str:
        """The last name in the path ("" for the root)."""
        return self.parts[-1] if self.parts else ""

    @property
    def parent(self) -> CollectionPath:
        """The containing directory (the root is its own parent)."""
        return CollectionPath(self.parts[:-1], self.home_relative)

    def child(self, name: str) -> CollectionPath:
        """The path of an entry directly inside this directory."""
        return CollectionPath(self.parts + (name,), self.home_relative)

    def is_within(self, directory: str) -> bool:
        """True when this path is `directory` (ending in "/") or lies below it."""
        return (self.posix.rstrip("/") + "/").startswith(directory)


def invalid_path(message: str) -> GlobusError:
    """The 400 Transfer answers for a path it cannot parse."""
    return GlobusError(400, "ClientError.BadRequest.InvalidPath", message)


def path_not_allowed(path: str) -> GlobusError:
    """The 403 for a path that would leave the collection."""
    return GlobusError(403, "EndpointPermissionDenied", f"Path not allowed: '{path}' is outside the collection.")


def parse_path(raw: str | None, default: str = "/~/") -> CollectionPath:
    """Validate a path string from a request and resolve "." and ".." without touching disk."""
    text = default if raw is None or raw == "" else raw
    if not isinstance(text, str):
        raise invalid_path("A path must be a string.")
    if "\x00" in text:
        raise invalid_path("A path may not contain NUL bytes.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_PATH_LENGTH:
        raise invalid_path(f"A path may be at most {MAX_PATH_LENGTH} bytes long.")
    home_relative = text in ("~", "/~") or text.startswith(HOME_PREFIXES)
    if home_relative:
        text = text.split("~", 1)[1]
    parts: list[str] = []
    for name in text.split("/"):
        if name in ("", "."):
            continue
        if name == "..":
            if not parts:
                raise path_not_allowed(raw if isinstance(raw, str) else str(raw))
            parts.pop()
            continue
        if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise invalid_path(f"The name {name[:40]!r}... is longer than {MAX_NAME_BYTES} bytes.")
        parts.append(name)
    return CollectionPath(tuple(parts), home_relative)


def _inside(root_real: str, candidate_real: str) -> bool:
    return candidate_real == root_real or candidate_real.startswith(root_real + os.sep)


def fs_path(root: str | Path, cpath: CollectionPath, *, follow_final: bool = True) -> Path:
    """The file on disk for a collection path, refusing any symlink that leads out of the root.

    With follow_final=False the last name may itself be a symlink (rename or delete act on the
    link, not on its target); every directory above it must still resolve inside the root.
    """
    root_real = os.path.realpath(root)
    target = Path(root_real, *cpath.parts)
    check = target if follow_final or not cpath.parts else target.parent
    if not _inside(root_real, os.path.realpath(check)):
        raise path_not_allowed(cpath.display())
    return target


def collection_path_for(root: str | Path, target: str | Path) -> CollectionPath:
    """The collection path of a file under `root` (the inverse of fs_path)."""
    relative = Path(os.path.abspath(target)).relative_to(os.path.realpath(root))
    return CollectionPath(tuple(p for p in relative.parts if p not in ("", ".")))
