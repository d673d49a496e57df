"""Encrypted OAuth tokens held for users, and revocations still owed to Globus Auth.

Token columns hold only ciphertext from app.security.token_cipher, bound to (user, resource
server, field); nothing here ever holds a plaintext token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.timestamps import utcnow


class StoredToken(Model):
    """The current tokens of one user for one resource server."""

    __tablename__ = "stored_tokens"
    __table_args__ = (UniqueConstraint("user_id", "resource_server"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    resource_server: Mapped[str] = mapped_column(String(255))
    # Space-separated scopes the token grants, as Globus Auth reported them.
    scopes: Mapped[str] = mapped_column(Text)
    # The scope strings we asked for, dependencies included (e.g. data_access consents), so that a
    # later login asks for them again instead of silently dropping consents.
    requested_scopes: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[int] = mapped_column(Integer)  # epoch seconds, as Globus reports them
    token_type: Mapped[str] = mapped_column(String(32), default="Bearer")
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    # Optimistic lock: every write is `UPDATE ... WHERE version = <read version>`.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PendingRevocation(Model):
    """A token whose upstream revocation failed; retried at login, logout and by the CLI."""

    __tablename__ = "pending_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    resource_server: Mapped[str] = mapped_column(String(255))
    # Which token it was ("access_token" / "refresh_token"); also part of the ciphertext binding.
    token_kind: Mapped[str] = mapped_column(String(32))
    token_enc: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
