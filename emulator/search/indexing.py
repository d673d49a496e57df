"""Writing entries: store a GMetaEntry and the token/field/principal rows queries rely on."""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from emulator.search.models import (
    SearchEntry,
    SearchEntryPrincipal,
    SearchFieldValue,
    SearchToken,
    now,
)

WORD = re.compile(r"[a-z0-9]+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
# Longer strings are still searchable as text; only their field value is cut for indexing.
MAX_INDEXED_VALUE = 500
MAX_TOKEN = 128


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
        parsed = parsed.replace(tzinfo=timezone.utc)
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


def field_value_row(entry_pk: int, field: str, value: Any) -> SearchFieldValue:
    """The field-value row for one scalar (numbers and dates also get a numeric value)."""
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
    return SearchFieldValue(
        entry_pk=entry_pk,
        field=field[:255],
        value_text=text,
        value_lower=text.lower()[:MAX_INDEXED_VALUE],
        value_number=number,
        is_date=is_date,
    )


def index_rows(entry_pk: int, content: dict) -> tuple[list[SearchToken], list[SearchFieldValue], str]:
    """Token rows, field-value rows and the phrase blob for one entry's content."""
    token_counts: Counter[tuple[str, str]] = Counter()
    values: list[SearchFieldValue] = []
    texts: list[str] = []
    for field, value in iter_scalars(content):
        values.append(field_value_row(entry_pk, field, value))
        if isinstance(value, str):
            words = tokenize(value)
            texts.append(" ".join(words))
            for word in words:
                token_counts[(field[:255], word)] += 1
    tokens = [SearchToken(entry_pk=entry_pk, field=f, token=t, count=c) for (f, t), c in token_counts.items()]
    return tokens, values, "\n".join(texts)


def _clear_index_rows(session: Session, entry_pk: int) -> None:
    session.execute(delete(SearchToken).where(SearchToken.entry_pk == entry_pk))
    session.execute(delete(SearchFieldValue).where(SearchFieldValue.entry_pk == entry_pk))
    session.execute(delete(SearchEntryPrincipal).where(SearchEntryPrincipal.entry_pk == entry_pk))


def upsert_entry(session: Session, index_id: str, subject: str, entry_id: str | None,
                 content: dict, visible_to: list[str]) -> SearchEntry:
    """Create or replace one entry (same index, subject and entry_id) and its query rows."""
    key = entry_id or ""
    entry = session.scalar(
        select(SearchEntry).where(
            SearchEntry.index_id == index_id, SearchEntry.subject == subject, SearchEntry.entry_id == key
        )
    )
    is_new = entry is None
    if entry is None:
        entry = SearchEntry(index_id=index_id, subject=subject, entry_id=key, created_at=now())
        session.add(entry)
    entry.content_json = json.dumps(content, separators=(",", ":"))
    entry.visible_to_json = json.dumps(sorted(set(visible_to)))
    entry.updated_at = now()
    session.flush()
    if not is_new:
        _clear_index_rows(session, entry.id)
    tokens, values, blob = index_rows(entry.id, content)
    entry.text_blob = blob
    session.add_all(tokens)
    session.add_all(values)
    session.add_all(SearchEntryPrincipal(entry_pk=entry.id, principal=p) for p in sorted(set(visible_to)))
    return entry


def delete_entries(session: Session, entry_pks: list[int]) -> int:
    """Remove entries and their query rows; returns how many entries went."""
    for pk in entry_pks:
        _clear_index_rows(session, pk)
    if entry_pks:
        session.execute(delete(SearchEntry).where(SearchEntry.id.in_(entry_pks)))
    return len(entry_pks)
