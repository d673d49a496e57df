"""The server-side session table (flask-session's SQL layout), created by a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class ServerSession(Model):
    """One browser session: a keyed hash of its id (never the cookie value) and its serialized data."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    expiry: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # Whose session it is (None while anonymous), so "log out of all my sessions" can end them all.
    # No foreign key: a session row may outlive a deleted account until it expires.
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
