"""Writing entries: store a GMetaEntry and the token/field/principal rows queries rely on."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from emulator.search.models import (
    SearchEntry,
    SearchEntryPrincipal,
    SearchFieldValue,
    SearchToken,
    now,
)

# Bulk statements run on the table itself; SQLAlchemy types a mapped class's __table__ loosely.
ENTRIES = cast(Table, SearchEntry.__table__)
WORD = re.compile(r"[a-z0-9]+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
# Longer strings are still searchable as text; only their field value is cut for indexing.
MAX_INDEXED_VALUE = 500
MAX_TOKEN = 128
# Rows per IN (...) list, well under SQLite's bound-parameter limit.
CHUNK = 500


def tokenize(text: str) -> list[str]:
    """Lower-cased words of a text, the unit both indexing and queries use."""
    return [word[:MAX_TOKEN] for word in WORD.findall(text.lower())]


def parse_date(value: str) -> float | None:
    """Epoch seconds of an ISO-8601 date or datetime (naive means UTC), else None."""
    if not _ISO_DATE.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def escape_key(key: str) -> str:
    """A content key as one step of a field path: Globus writes a literal dot as `\\.`."""
    return str(key).replace(".", "\\.")


def iter_scalars(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted field path, scalar) for every scalar in a JSON document; lists flatten in place."""
    if isinstance(value, dict):
        for key, item in value.items():
            step = escape_key(key)
            yield from iter_scalars(item, f"{path}.{step}" if path else step)
    elif isinstance(value, list):
        for item in value:
            yield from iter_scalars(item, path)
    elif value is not None and path:
        yield path, value


def field_value_row(entry_pk: int, field: str, value: Any) -> dict[str, Any]:
    """The field-value row (as insert parameters) for one scalar; numbers and dates get a number."""
    number: float | None = None
    is_date = False
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = json.dumps(value)
        number = float(value)
    else:
        text = str(value)
        number = parse_date(text)
        is_date = number is not None
    return {
        "entry_pk": entry_pk,
        "field": field[:255],
        "value_text": text,
        "value_lower": text.lower()[:MAX_INDEXED_VALUE],
        "value_number": number,
        "is_date": is_date,
    }


def index_rows(entry_pk: int, content: dict) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """Token rows, field-value rows (as insert parameters) and the phrase blob for one entry."""
    token_counts: Counter[tuple[str, str]] = Counter()
    values: list[dict[str, Any]] = []
    texts: list[str] = []
    for field, value in iter_scalars(content):
        values.append(field_value_row(entry_pk, field, value))
        if isinstance(value, str):
            words = tokenize(value)
            # Padded so a phrase matches as " w1 w2 " at the start or end of a value too.
            texts.append(f" {' '.join(words)} ")
            for word in words:
                token_counts[(field[:255], word)] += 1
    tokens = [{"entry_pk": entry_pk, "field": f, "token": t, "count": c} for (f, t), c in token_counts.items()]
    return tokens, values, "\n".join(texts)


def _clear_index_rows(session: Session, entry_pks: list[int]) -> None:
    for start in range(0, len(entry_pks), CHUNK):
        chunk = entry_pks[start : start + CHUNK]
        for model in (SearchToken, SearchFieldValue, SearchEntryPrincipal):
            session.execute(delete(model).where(model.entry_pk.in_(chunk)))


@dataclass(frozen=True)
class NewEntry:
    """What an ingest writes for one entry."""

    subject: str
    entry_id: str | None
    content: dict
    visible_to: list[str]


def _existing_ids(session: Session, index_id: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    subjects = sorted({subject for subject, _ in keys})
    for start in range(0, len(subjects), CHUNK):
        rows = session.execute(
            select(SearchEntry.subject, SearchEntry.entry_id, SearchEntry.id).where(
                SearchEntry.index_id == index_id, SearchEntry.subject.in_(subjects[start : start + CHUNK])
            )
        )
        found.update({(subject, entry_id): pk for subject, entry_id, pk in rows})
    return found


def upsert_entries(session: Session, index_id: str, entries: list[NewEntry]) -> int:
    """Create or replace entries (same index, subject and entry_id) with their query rows, in bulk.

    Uses Core executemany statements: an entry has dozens of token and value rows, and going
    through ORM objects costs about ten times as much. Later duplicates in `entries` win.
    """
    latest = {(e.subject, e.entry_id or ""): e for e in entries}
    existing = _existing_ids(session, index_id, list(latest))
    moment = now()
    analysed = {key: index_rows(0, e.content) for key, e in latest.items()}

    def entry_values(key: tuple[str, str]) -> dict[str, Any]:
        entry = latest[key]
        return {
            "content_json": json.dumps(entry.content, separators=(",", ":")),
            "visible_to_json": json.dumps(sorted(set(entry.visible_to))),
            "text_blob": analysed[key][2],
            "updated_at": moment,
        }

    replaced = [key for key in latest if key in existing]
    if replaced:
        _clear_index_rows(session, [existing[key] for key in replaced])
        session.connection().execute(
            update(ENTRIES).where(ENTRIES.c.id == bindparam("pk")),
            [{"pk": existing[key], **entry_values(key)} for key in replaced],
        )
    created = [key for key in latest if key not in existing]
    if created:
        rows = session.connection().execute(
            insert(ENTRIES).returning(ENTRIES.c.id, sort_by_parameter_order=True),
            [
                {
                    "index_id": index_id,
                    "subject": subject,
                    "entry_id": entry_id,
                    "created_at": moment,
                    **entry_values((subject, entry_id)),
                }
                for subject, entry_id in created
            ],
        )
        existing.update(zip(created, (row[0] for row in rows), strict=True))
    tokens, values, principals = [], [], []
    for key, entry in latest.items():
        pk = existing[key]
        tokens += [{**row, "entry_pk": pk} for row in analysed[key][0]]
        values += [{**row, "entry_pk": pk} for row in analysed[key][1]]
        principals += [{"entry_pk": pk, "principal": p} for p in sorted(set(entry.visible_to))]
    for table, batch in (
        (cast(Table, SearchToken.__table__), tokens),
        (cast(Table, SearchFieldValue.__table__), values),
        (cast(Table, SearchEntryPrincipal.__table__), principals),
    ):
        if batch:
            session.connection().execute(insert(table), batch)
    return len(latest)


def delete_entries(session: Session, entry_pks: list[int]) -> int:
    """Remove entries and their query rows; returns how many entries went."""
    _clear_index_rows(session, entry_pks)
    for start in range(0, len(entry_pks), CHUNK):
        session.execute(delete(SearchEntry).where(SearchEntry.id.in_(entry_pks[start : start + CHUNK])))
    return len(entry_pks)
