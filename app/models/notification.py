"""What the gateway told a user (the bell and its list), and how each user wants to be told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.timestamps import utcnow


class Notification(Model):
    """One message to one user: always shown in the portal, emailed when their preferences say so."""

    __tablename__ = "notifications"
    # The bell counts a user's unread ones; the list pages a user's newest first.
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # A path inside the portal (e.g. /tasks/<id>), never an outside URL.
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # none (not to be emailed) | pending | sent | failed
    email_status: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    email_error: Mapped[str | None] = mapped_column(String(500))


class NotificationSettings(Model):
    """A user's choices: which kinds are also emailed, and whether Globus' own emails stay on."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # The kinds (app/services/notifications.py KINDS) the user gets by email as well.
    email_kinds: Mapped[list] = mapped_column(JSON)
    # True: transfers the gateway submits keep Globus' notify_on_* emails as the form sets them.
    globus_emails: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
