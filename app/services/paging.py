"""Shared plain-data helpers for pages of upstream results: offsets and Transfer timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.services.errors import InvalidRequest


class OffsetPaging:
    """Previous/next offsets for a page that has `offset`, `limit` and `has_next_page`."""

    offset: int
    limit: int

    if TYPE_CHECKING:
        # Subclasses supply it: a dataclass field (the upstream says) or a property (counted pages).
        @property
        def has_next_page(self) -> bool: ...

    @property
    def previous_offset(self) -> int | None:
        """Offset of the previous page, or None on the first."""
        return None if self.offset <= 0 else max(0, self.offset - self.limit)

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last."""
        return self.offset + self.limit if self.has_next_page else None


class CountedOffsetPaging(OffsetPaging):
    """OffsetPaging for a page whose upstream answer carries the `total` count."""

    total: int

    @property
    def has_next_page(self) -> bool:
        """True while entries remain after this page."""
        return self.offset + self.limit < self.total


def parse_offset(raw: str | None, field: str = "offset") -> int:
    """A page offset from a query argument ("" or absent is the first page), or a clear error."""
    try:
        return int(raw or 0)
    except ValueError:
        raise InvalidRequest("That page number is not valid.", field=field) from None


def parse_time(value: str | None) -> datetime | None:
    """A Transfer timestamp as an aware UTC datetime (None when absent or unreadable)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
