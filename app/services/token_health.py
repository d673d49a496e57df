"""Whether a user's stored grant still works for the worker: the dead-token mark and its listeners.

When a refresh fails for good (revoked, consent withdrawn, unused for months) the worker can no
longer act for the user until they log in again. The mark is set once (listeners run and the user
is notified once), shown by the portal, and cleared by the user's next login.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.extensions import db
from app.models import User
from app.models.timestamps import utcnow

log = logging.getLogger(__name__)
MAX_REASON_LENGTH = 255

TokensDeadListener = Callable[[int, str], None]
_listeners: list[TokensDeadListener] = []


def register_tokens_dead_listener(listener: TokensDeadListener) -> None:
    """Call `listener(user_id, reason)` in the unit of work that first marks a user's tokens dead."""
    if listener not in _listeners:
        _listeners.append(listener)


def mark_tokens_dead(user_id: int, reason: str) -> bool:
    """Record that the user's tokens no longer work; True when this is news (listeners ran)."""
    user = db.session.get(User, user_id)
    if user is None or user.tokens_dead_at is not None:
        return False
    user.tokens_dead_at = utcnow()
    user.tokens_dead_reason = reason[:MAX_REASON_LENGTH]
    db.session.flush()
    log.warning("stored tokens of user %s stopped working: %s", user_id, reason)
    from app.services.notifications import notify

    notify(
        user_id,
        "tokens_dead",
        "Sign in again so the gateway can keep working for you",
        f"The gateway can no longer act for you: {reason}. Until you sign in again, it cannot "
        "follow your transfers or run anything on your behalf.",
        link="/login",
    )
    for listener in list(_listeners):
        listener(user_id, reason)
    return True


def tokens_dead(user_id: int) -> str | None:
    """The reason the user's tokens stopped working, or None while they work."""
    user = db.session.get(User, user_id)
    if user is None or user.tokens_dead_at is None:
        return None
    return user.tokens_dead_reason or "Globus refused the stored login"


def clear_tokens_dead(user_id: int) -> None:
    """Forget the mark (the user has just logged in with fresh tokens)."""
    user = db.session.get(User, user_id)
    if user is not None and user.tokens_dead_at is not None:
        user.tokens_dead_at = None
        user.tokens_dead_reason = None
        db.session.flush()
