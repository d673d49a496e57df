"""Portal users and the Globus identities linked to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.timestamps import utcnow


class User(Model):
    """A person who logged in; keyed by the primary Globus identity of their account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    primary_identity_id: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when the worker found the user's refresh token dead for good (revoked, consent
    # withdrawn, unused for months); cleared at their next login (app/services/token_health.py).
    tokens_dead_at: Mapped[datetime | None] = mapped_column(DateTime)
    tokens_dead_reason: Mapped[str | None] = mapped_column(String(255))

    identities: Mapped[list[Identity]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Identity.username"
    )


class Identity(Model):
    """One Globus identity (the primary one or a linked one) of a portal user."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    organization: Mapped[str | None] = mapped_column(String(255))
    identity_provider: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="identities")
