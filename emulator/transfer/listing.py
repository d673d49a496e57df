"""Directory listings as Transfer returns them: file documents, filters, ordering and paging.

A listing streams the directory with os.scandir and keeps only the entries the requested page
needs (heapq.nsmallest over offset+limit), so paging a 100,000-entry folder never holds every
entry's document in memory. Filter syntax follows Transfer: clauses joined by "/", e.g.
"name:~*.txt/type:file/size:>1000"; values joined by ","; "~" means a wildcard pattern and "!"
negates.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import grp
import heapq
import os
import pwd
import stat as statmod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from emulator.transfer.documents import timestamp
from emulator.transfer.paths import collection_path_for
from emulator.transfer.request_args import bad_request

ORDER_FIELDS = ("name", "type", "size", "last_modified", "permissions", "user", "group")
STRING_FILTER_FIELDS = ("name", "permissions", "user", "group")
FILE_TYPES = ("file", "dir", "invalid_symlink")


@lru_cache(maxsize=256)
def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@lru_cache(maxsize=256)
def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _inside(root_real: str, path: str) -> bool:
    return path == root_real or path.startswith(root_real + os.sep)


class Entry:
    """One directory entry, stat'ed lazily: most listings never need more than name and type."""

    __slots__ = ("name", "path", "root_real", "_lstat", "_target_stat", "_type")

    def __init__(self, name: str, path: str, root_real: str, is_dir: bool | None = None, is_link: bool | None = None):
        self.name = name
        self.path = path
        self.root_real = root_real
        self._lstat: os.stat_result | None = None
        self._target_stat: os.stat_result | None = None
        self._type: str | None = None
        if is_link is False and is_dir is not None:
            self._type = "dir" if is_dir else "file"

    @property
    def lstat(self) -> os.stat_result:
        """The entry's own stat (a symlink's, not its target's)."""
        if self._lstat is None:
            self._lstat = os.lstat(self.path)
        return self._lstat

    @property
    def is_link(self) -> bool:
        """True when the entry is a symbolic link."""
        return statmod.S_ISLNK(self.lstat.st_mode)

    @property
    def target_stat(self) -> os.stat_result | None:
        """The stat of what the entry designates: itself, or a symlink's target inside the root."""
        if self._target_stat is None:
            if not self.is_link:
                self._target_stat = self.lstat
            else:
                real = os.path.realpath(self.path)
                if _inside(self.root_real, real) and os.path.exists(real):
                    self._target_stat = os.stat(real)
        return self._target_stat

    @property
    def type(self) -> str:
        """"dir", "file" or "invalid_symlink" (dangling, or leading out of the collection)."""
        if self._type is None:
            target = self.target_stat
            if target is None:
                self._type = "invalid_symlink"
            else:
                self._type = "dir" if statmod.S_ISDIR(target.st_mode) else "file"
        return self._type

    @property
    def shown_stat(self) -> os.stat_result:
        """The stat the main fields describe (the target's for a valid symlink)."""
        return self.target_stat or self.lstat

    @property
    def size(self) -> int:
        """Size in bytes (0 for an invalid symlink)."""
        return 0 if self.type == "invalid_symlink" else self.shown_stat.st_size

    @property
    def mtime(self) -> int:
        """Last modification time, whole seconds since the epoch."""
        return int(self.shown_stat.st_mtime)

    @property
    def permissions(self) -> str:
        """Octal permission bits as Transfer prints them ("0644")."""
        return f"{statmod.S_IMODE(self.shown_stat.st_mode):04o}"

    @property
    def user(self) -> str:
        """The owning local user name."""
        return _user_name(self.shown_stat.st_uid)

    @property
    def group(self) -> str:
        """The owning local group name."""
        return _group_name(self.shown_stat.st_gid)

    def link_target(self) -> str | None:
        """Where a symlink points, as a collection path; never a host path outside the root."""
        if not self.is_link:
            return None
        real = os.path.realpath(self.path)
        if _inside(self.root_real, real):
            return collection_path_for(self.root_real, real).posix
        raw = os.readlink(self.path)
        return None if os.path.isabs(raw) else raw

    def document(self) -> dict[str, Any]:
        """The `file` document Transfer returns for this entry."""
        link = self.lstat if self.is_link else None
        return {
            "DATA_TYPE": "file",
            "name": self.name,
            "type": self.type,
            "link_target": self.link_target(),
            "user": self.user,
            "group": self.group,
            "permissions": self.permissions,
            "size": self.size,
            "last_modified": timestamp(self.mtime),
            "link_size": link.st_size if link else None,
            "link_user": _user_name(link.st_uid) if link else None,
            "link_group": _group_name(link.st_gid) if link else None,
            "link_last_modified": timestamp(link.st_mtime) if link else None,
        }


def entry_for(root_real: str, target: Path, name: str) -> Entry:
    """An Entry for one path (used by stat); raises FileNotFoundError when it does not exist."""
    entry = Entry(name, str(target), root_real)
    entry.lstat  # noqa: B018 - fail early with FileNotFoundError
    return entry


# ---- filters -------------------------------------------------------------------------------

Predicate = Callable[[Entry], bool]


def _parse_when(text: str) -> int:
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            moment = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return int(moment.timestamp())
    raise bad_request(f"Invalid date in filter: {text!r} (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS).")


def _comparison(field: str, spec: str, convert: Callable[[str], int], value_of: Callable[[Entry], int]) -> Predicate:
    for op in (">=", "<=", "!=", ">", "<", "="):
        if spec.startswith(op):
            bound = convert(spec[len(op):])
            return {
                ">=": lambda e: value_of(e) >= bound,
                "<=": lambda e: value_of(e) <= bound,
                "!=": lambda e: value_of(e) != bound,
                ">": lambda e: value_of(e) > bound,
                "<": lambda e: value_of(e) < bound,
                "=": lambda e: value_of(e) == bound,
            }[op]
    if "," in spec:
        low_text, high_text = spec.split(",", 1)
        low = convert(low_text) if low_text.strip() else None
        high = convert(high_text) if high_text.strip() else None
        return lambda e: (low is None or value_of(e) >= low) and (high is None or value_of(e) <= high)
    exact = convert(spec)
    return lambda e: value_of(e) == exact


def _size_value(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise bad_request(f"Invalid size in filter: {text!r}.") from None


def _string_clause(field: str, spec: str) -> Predicate:
    negate = spec.startswith("!")
    if negate:
        spec = spec[1:]
    pattern = spec.startswith("~")
    if pattern:
        spec = spec[1:]
    values = spec.split(",")

    def value_of(entry: Entry) -> str:
        return getattr(entry, field)

    if pattern:
        def matches(entry: Entry) -> bool:
            return any(fnmatch.fnmatchcase(value_of(entry), v) for v in values)
    else:
        wanted = set(values)

        def matches(entry: Entry) -> bool:
            return value_of(entry) in wanted

    return (lambda e: not matches(e)) if negate else matches


def parse_filters(raw_filters: Iterable[str]) -> list[Predicate]:
    """Turn Transfer filter strings into predicates; unknown fields or bad values are a 400."""
    predicates: list[Predicate] = []
    for raw in raw_filters:
        for clause in raw.split("/"):
            if not clause:
                continue
            field, sep, spec = clause.partition(":")
            if not sep:
                raise bad_request(f"Invalid filter clause {clause!r}: expected 'field:value'.")
            if field in STRING_FILTER_FIELDS:
                predicates.append(_string_clause(field, spec))
            elif field == "type":
                negate = spec.startswith("!")
                types = set((spec[1:] if negate else spec).split(","))
                if not types <= set(FILE_TYPES):
                    raise bad_request(f"Invalid type filter {spec!r}: use file, dir or invalid_symlink.")
                predicates.append((lambda e, t=types: e.type not in t) if negate else (lambda e, t=types: e.type in t))
            elif field == "size":
                predicates.append(_comparison(field, spec, _size_value, lambda e: e.size))
            elif field == "last_modified":
                predicates.append(_comparison(field, spec, _parse_when, lambda e: e.mtime))
            else:
                raise bad_request(f"Cannot filter on {field!r}: use one of name, type, size, last_modified, "
                                  "permissions, user, group.")
    return predicates


# ---- ordering -------------------------------------------------------------------------------

class _Descending:
    """Wraps a value so that sorting ascending orders it descending."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __lt__(self, other: "_Descending") -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and other.value == self.value


def _field_value(entry: Entry, field: str) -> Any:
    if field == "last_modified":
        return entry.mtime
    return getattr(entry, field)


def parse_orderby(raw: str | None) -> Callable[[Entry], tuple]:
    """A sort key from Transfer's orderby ("name ASC,size DESC"); default is name ascending."""
    specs: list[tuple[str, bool]] = []
    for part in (raw or "name ASC").split(","):
        words = part.split()
        if not words:
            continue
        field = words[0]
        direction = words[1].upper() if len(words) > 1 else "ASC"
        if field not in ORDER_FIELDS or direction not in ("ASC", "DESC") or len(words) > 2:
            raise bad_request(f"Invalid orderby {part.strip()!r}: use a field of {', '.join(ORDER_FIELDS)} "
                              "followed by ASC or DESC.")
        specs.append((field, direction == "DESC"))
    if specs == [("name", False)]:
        return lambda entry: (entry.name,)

    def key(entry: Entry) -> tuple:
        values = []
        for field, descending in specs:
            value = _field_value(entry, field)
            if descending:
                value = -value if isinstance(value, int) else _Descending(value)
            values.append(value)
        return tuple(values)

    return key


# ---- listing --------------------------------------------------------------------------------

@dataclass
class Page:
    """One page of a listing: the documents plus how many entries matched in all."""

    documents: list[dict[str, Any]]
    total: int


def _entries(directory: Path, root_real: str, show_hidden: bool) -> Iterator[Entry]:
    with os.scandir(directory) as scan:
        for item in scan:
            if not show_hidden and item.name.startswith("."):
                continue
            try:
                is_link = item.is_symlink()
                is_dir = item.is_dir(follow_symlinks=False)
            except OSError:
                continue
            yield Entry(item.name, item.path, root_real, is_dir=is_dir, is_link=is_link)


def list_directory(
    directory: Path,
    root: str | Path,
    *,
    show_hidden: bool,
    filters: list[Predicate],
    order_key: Callable[[Entry], tuple],
    offset: int,
    limit: int,
) -> Page:
    """Scan `directory` once and return the requested page and the number of matching entries."""
    root_real = os.path.realpath(root)
    counter = {"total": 0}

    def matching() -> Iterator[Entry]:
        for entry in _entries(directory, root_real, show_hidden):
            try:
                if all(predicate(entry) for predicate in filters):
                    counter["total"] += 1
                    yield entry
            except FileNotFoundError:
                continue  # removed while we were listing

    # The heap holds only (sort key, name) pairs, compared in C; documents are built for the page only.
    keyed = ((order_key(entry), entry.name) for entry in matching())
    chosen = heapq.nsmallest(offset + limit, keyed)[offset:]
    documents = []
    for _, name in chosen:
        try:
            documents.append(Entry(name, os.path.join(directory, name), root_real).document())
        except FileNotFoundError:
            continue  # removed since the scan
    return Page(documents, counter["total"])
