"""Search-side tables: indices, index roles, entries, their token and field-value index rows, tasks.

An entry (one subject + entry_id) keeps its content as JSON. Queries never read that JSON to
decide what matches: `SearchEntryPrincipal` answers "who may see it", `SearchToken` answers free
text, and `SearchFieldValue` answers filters, facets and sorting, all in SQL. Only the page of
results being returned is decoded.
"""

from __future__ import annotations

import time

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emulator.db import Base


def now() -> int:
    """Current time as whole epoch seconds (how every Search timestamp is stored)."""
    return int(time.time())


class SearchIndex(Base):
    """A search index (what Globus calls an index: a named collection of subjects)."""

    __tablename__ = "search_indices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(Integer, default=now)
    max_size_in_mb: Mapped[int] = mapped_column(Integer, default=1)
    is_trial: Mapped[bool] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")


class SearchIndexRole(Base):
    """A principal's role on an index: owner, admin or writer (readers need no role)."""

    __tablename__ = "search_index_roles"
    __table_args__ = (UniqueConstraint("index_id", "principal", "role_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    index_id: Mapped[str] = mapped_column(ForeignKey("search_indices.id", ondelete="CASCADE"), index=True)
    principal: Mapped[str] = mapped_column(String(128))  # urn:globus:auth:identity:<id> | urn:globus:groups:id:<id>
    role_name: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(Integer, default=now)


class SearchEntry(Base):
    """One GMetaEntry: content stored as JSON, keyed by (index, subject, entry_id).

    Globus allows a null entry_id; it is stored as "" so the unique constraint holds.
    """

    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("index_id", "subject", "entry_id"),
        Index("ix_search_entries_index_subject", "index_id", "subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    index_id: Mapped[str] = mapped_column(ForeignKey("search_indices.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(2048))
    entry_id: Mapped[str] = mapped_column(String(1024), default="")
    content_json: Mapped[str] = mapped_column(Text)
    visible_to_json: Mapped[str] = mapped_column(Text)
    # One line of normalised words per string value; used only to confirm quoted phrases.
    text_blob: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(Integer, default=now)
    updated_at: Mapped[int] = mapped_column(Integer, default=now)


class SearchEntryPrincipal(Base):
    """One `visible_to` principal of an entry, so visibility is a SQL join."""

    __tablename__ = "search_entry_principals"
    __table_args__ = (Index("ix_search_entry_principals_principal", "principal", "entry_pk"),)

    entry_pk: Mapped[int] = mapped_column(ForeignKey("search_entries.id", ondelete="CASCADE"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(128), primary_key=True)


class SearchToken(Base):
    """A lower-cased word found in one field of an entry, with how often it occurs there."""

    __tablename__ = "search_tokens"
    __table_args__ = (
        # Covering: word lookups and scoring read only this index, never the table.
        Index("ix_search_tokens_token", "token", "entry_pk", "field", "count"),
        Index("ix_search_tokens_field_token", "field", "token"),
    )

    entry_pk: Mapped[int] = mapped_column(ForeignKey("search_entries.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(255), primary_key=True)
    token: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)


class SearchFieldValue(Base):
    """One scalar value at a dotted field path of an entry (lists give one row per item).

    `value_lower` serves match filters and terms facets; `value_number` holds numbers, and
    ISO dates as epoch seconds, for range filters, histograms and sorting.
    """

    __tablename__ = "search_field_values"
    __table_args__ = (
        Index("ix_search_field_values_field_lower", "field", "value_lower"),
        Index("ix_search_field_values_field_number", "field", "value_number"),
        Index("ix_search_field_values_entry", "entry_pk", "field"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_pk: Mapped[int] = mapped_column(ForeignKey("search_entries.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(255))
    value_text: Mapped[str] = mapped_column(Text)
    value_lower: Mapped[str] = mapped_column(String(512))
    value_number: Mapped[float | None] = mapped_column(Float, nullable=True)
    is_date: Mapped[bool] = mapped_column(Integer, default=0)


class SearchTask(Base):
    """An ingest or delete_by_query task, as reported by GET /v1/task/<task_id>."""

    __tablename__ = "search_tasks"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    index_id: Mapped[str] = mapped_column(ForeignKey("search_indices.id", ondelete="CASCADE"), index=True)
    task_type: Mapped[str] = mapped_column(String(32))  # INGEST | DELETE_BY_QUERY
    state: Mapped[str] = mapped_column(String(16))  # PENDING | PROGRESS | SUCCESS | FAILED
    state_description: Mapped[str] = mapped_column(String(255), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    creation_date: Mapped[int] = mapped_column(Integer, default=now)
    completion_date: Mapped[int | None] = mapped_column(Integer, nullable=True)
    additional_details_json: Mapped[str] = mapped_column(Text, default="{}")
