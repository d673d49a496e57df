"""Collection paths as the portal accepts them: absolute, normalised, never climbing out.

Everything a browser sends as a path or a name passes through here before it reaches Transfer,
so a crafted `..`, a control character or a slash hidden in a "name" is refused with a clear
message instead of being forwarded.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.errors import InvalidRequest

HOME = "/~/"
MAX_PATH_LENGTH = 4096
MAX_NAME_BYTES = 255


def _has_control_characters(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def normalize_directory(raw: str | None, *, field: str = "path") -> str:
    """A folder path in canonical form ("/a/b/", "/~/a/"); refuses '..' and control characters."""
    text = (raw or "").strip()
    if not text:
        return HOME
    if len(text) > MAX_PATH_LENGTH:
        raise InvalidRequest("That path is too long.", field=field)
    if _has_control_characters(text):
        raise InvalidRequest("Paths cannot contain control characters.", field=field)
    if text.startswith("~"):
        text = "/" + text
    if not text.startswith("/"):
        raise InvalidRequest("Paths start with / (or ~ for your home folder).", field=field)
    home = text == "/~" or text.startswith("/~/")
    parts = []
    for part in text[2:].split("/") if home else text.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise InvalidRequest("Paths cannot contain '..'; use the breadcrumb to go up.", field=field)
        parts.append(part)
    prefix = HOME if home else "/"
    return prefix + "".join(f"{part}/" for part in parts)


def validate_name(raw: str | None, *, field: str = "name") -> str:
    """A single file or folder name: not empty, no '/', not '.' or '..', no control characters."""
    name = raw or ""
    if not name.strip():
        raise InvalidRequest("Enter a name.", field=field)
    if "/" in name:
        raise InvalidRequest("A name cannot contain '/'.", field=field)
    if name in (".", ".."):
        raise InvalidRequest("'.' and '..' are not valid names.", field=field)
    if _has_control_characters(name):
        raise InvalidRequest("Names cannot contain control characters.", field=field)
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidRequest("That name is too long (255 bytes at most).", field=field)
    return name


def join(directory: str, name: str) -> str:
    """The path of `name` inside the (already normalised) folder `directory`."""
    return directory + validate_name(name)


def normalize_any(raw: str | None, *, field: str = "path") -> str:
    """A file or folder path in canonical form; a trailing '/' is kept only if it was given."""
    text = (raw or "").strip()
    if not text:
        raise InvalidRequest("Enter a path.", field=field)
    directory = normalize_directory(text, field=field)
    if text.endswith("/") or directory in (HOME, "/"):
        return directory
    return directory.rstrip("/")


def parent_of(path: str) -> str:
    """The folder that holds `path` (a normalised file or folder path); the root is its own parent."""
    trimmed = path.rstrip("/")
    if trimmed in ("", "/~"):
        return HOME if trimmed == "/~" else "/"
    return trimmed.rsplit("/", 1)[0] + "/"


def base_name(path: str) -> str:
    """The last name of a normalised path ("" for a root)."""
    trimmed = path.rstrip("/")
    if trimmed in ("", "/~"):
        return ""
    return trimmed.rsplit("/", 1)[1]


@dataclass(frozen=True)
class Crumb:
    """One step of a breadcrumb: what to show and which folder it opens."""

    label: str
    path: str


def breadcrumbs(directory: str) -> list[Crumb]:
    """The chain of folders from the root to `directory`, for a breadcrumb trail."""
    home = directory.startswith(HOME)
    crumbs = [Crumb("Home" if home else "Root", HOME if home else "/")]
    current = crumbs[0].path
    body = directory[len(current) :]
    for part in [p for p in body.split("/") if p]:
        current = f"{current}{part}/"
        crumbs.append(Crumb(part, current))
    return crumbs
