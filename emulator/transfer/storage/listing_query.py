"""Transfer's ls query language: filter clauses and orderby, turned into predicates and sort keys.

Filter syntax follows Transfer: clauses joined by "/", e.g. "name:~*.txt/type:file/size:>1000";
values joined by ","; "~" means a wildcard pattern and "!" negates; sizes and dates take
>, >=, <, <=, =, != or a "start,end" range with either end empty.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable
from typing import Any

from emulator.transfer.errors import bad_request
from emulator.transfer.storage.listing import Entry

ORDER_FIELDS = ("name", "type", "size", "last_modified", "permissions", "user", "group")
STRING_FILTER_FIELDS = ("name", "permissions", "user", "group")
FILE_TYPES = ("file", "dir", "invalid_symlink")

Predicate = Callable[[Entry], bool]


def _described(function: Callable[[Entry], Any], fields: frozenset[str], spec: str) -> Callable[[Entry], Any]:
    """Tag a predicate or sort key with the entry fields it reads and its source text.

    The fields decide whether listing may cache a result (name and type change only when the
    directory does); the text is part of the cache key. Attributes, not a wrapper class, so the
    per-entry call costs nothing extra on uncached scans.
    """
    function.fields = fields  # type: ignore[attr-defined]
    function.spec = spec  # type: ignore[attr-defined]
    return function


def _parse_when(text: str) -> int:
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            moment = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return int(moment.timestamp())
    raise bad_request(f"Invalid date in filter: {text!r} (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS).")


def _type_predicate(types: frozenset[str], negate: bool) -> Predicate:
    if negate:
        return lambda e: e.type not in types
    return lambda e: e.type in types


def _comparison(field: str, spec: str, convert: Callable[[str], int], value_of: Callable[[Entry], int]) -> Predicate:
    for op in (">=", "<=", "!=", ">", "<", "="):
        if spec.startswith(op):
            bound = convert(spec[len(op) :])
            return {
                ">=": lambda e, bound=bound: value_of(e) >= bound,
                "<=": lambda e, bound=bound: value_of(e) <= bound,
                "!=": lambda e, bound=bound: value_of(e) != bound,
                ">": lambda e, bound=bound: value_of(e) > bound,
                "<": lambda e, bound=bound: value_of(e) < bound,
                "=": lambda e, bound=bound: value_of(e) == bound,
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


def parse_listing_filters(raw_filters: Iterable[str]) -> list[Predicate]:
    """Turn Transfer filter strings into predicates; unknown fields or bad values are a 400."""
    return [_described(predicate, frozenset({field}), clause) for field, clause, predicate in _clauses(raw_filters)]


def _clauses(raw_filters: Iterable[str]) -> list[tuple[str, str, Predicate]]:
    predicates: list[tuple[str, str, Predicate]] = []
    for raw in raw_filters:
        for clause in raw.split("/"):
            if not clause:
                continue
            field, sep, spec = clause.partition(":")
            if not sep:
                raise bad_request(f"Invalid filter clause {clause!r}: expected 'field:value'.")
            if field in STRING_FILTER_FIELDS:
                predicates.append((field, clause, _string_clause(field, spec)))
            elif field == "type":
                negate = spec.startswith("!")
                types = frozenset((spec[1:] if negate else spec).split(","))
                if not types <= set(FILE_TYPES):
                    raise bad_request(f"Invalid type filter {spec!r}: use file, dir or invalid_symlink.")
                predicates.append((field, clause, _type_predicate(types, negate)))
            elif field == "size":
                predicates.append((field, clause, _comparison(field, spec, _size_value, lambda e: e.size)))
            elif field == "last_modified":
                predicates.append((field, clause, _comparison(field, spec, _parse_when, lambda e: e.mtime)))
            else:
                raise bad_request(
                    f"Cannot filter on {field!r}: use one of name, type, size, last_modified, permissions, user, group."
                )
    return predicates


class _Descending:
    """Wraps a value so that sorting ascending orders it descending."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and other.value == self.value


def _field_value(entry: Entry, field: str) -> Any:
    if field == "last_modified":
        return entry.mtime
    return getattr(entry, field)


def parse_listing_orderby(raw: str | None) -> Callable[[Entry], tuple]:
    """A sort key from Transfer's orderby ("name ASC,size DESC"); default is name ascending."""
    specs: list[tuple[str, bool]] = []
    for part in (raw or "name ASC").split(","):
        words = part.split()
        if not words:
            continue
        field = words[0]
        direction = words[1].upper() if len(words) > 1 else "ASC"
        if field not in ORDER_FIELDS or direction not in ("ASC", "DESC") or len(words) > 2:
            raise bad_request(
                f"Invalid orderby {part.strip()!r}: use a field of {', '.join(ORDER_FIELDS)} followed by ASC or DESC."
            )
        specs.append((field, direction == "DESC"))
    fields = frozenset(field for field, _ in specs)
    spec_text = ",".join(f"{field} {'DESC' if descending else 'ASC'}" for field, descending in specs)
    if specs == [("name", False)]:
        return _described(lambda entry: (entry.name,), fields, spec_text)

    def key(entry: Entry) -> tuple:
        values = []
        for field, descending in specs:
            value = _field_value(entry, field)
            if descending:
                value = -value if isinstance(value, int) else _Descending(value)
            values.append(value)
        return tuple(values)

    return _described(key, fields, spec_text)
