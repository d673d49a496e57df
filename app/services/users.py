"""Portal users: created or updated from Globus login claims, read back as plain profiles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models.identity import Identity, User
from app.models.timestamps import utcnow
from app.services.errors import LoginRefused


@dataclass(frozen=True)
class IdentityView:
    """One linked Globus identity as shown to its owner."""

    identity_id: str
    username: str
    name: str | None
    email: str | None
    organization: str | None
    identity_provider: str | None
    primary: bool


@dataclass(frozen=True)
class UserProfile:
    """Who a portal user is."""

    user_id: int
    primary_identity_id: str
    username: str
    name: str | None
    email: str | None
    created_at: datetime
    last_login_at: datetime | None
    identities: list[IdentityView]


def upsert_user_from_login(claims: Mapping[str, Any], userinfo: Mapping[str, Any] | None) -> int:
    """Create or update the user named by validated id_token claims (+ userinfo); returns its id."""
    primary_id = str(claims["sub"])
    if userinfo is not None and str(userinfo.get("sub")) != primary_id:
        # OIDC Core 5.3.2: userinfo about another subject must not shape (or pick) this account.
        raise LoginRefused(
            "userinfo_subject", "Globus Auth described a different identity than the one that logged in."
        )
    info = {**claims, **(userinfo or {})}
    identity_set = _identity_entries(info, primary_id)
    linked_ids = [entry["identity_id"] for entry in identity_set]

    user = db.session.scalar(select(User).where(User.primary_identity_id == primary_id))
    if user is None:
        # The account may be known under another of its linked identities.
        user = db.session.scalar(select(User).join(Identity).where(Identity.identity_id.in_(linked_ids)).limit(1))
    if user is None:
        user = User(primary_identity_id=primary_id, username=_username(info, primary_id))
        db.session.add(user)
    user.primary_identity_id = primary_id
    user.username = _username(info, primary_id)
    user.name = _text(info.get("name"))
    user.email = _text(info.get("email"))
    user.last_login_at = utcnow()
    db.session.flush()
    _sync_identities(user, identity_set)
    # Committed by the request's unit of work (app/unit_of_work.py) when the login succeeds.
    return user.id


def get_profile(user_id: int) -> UserProfile | None:
    """The profile of a user, or None if the user no longer exists."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return UserProfile(
        user_id=user.id,
        primary_identity_id=user.primary_identity_id,
        username=user.username,
        name=user.name,
        email=user.email,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        identities=[
            IdentityView(
                identity_id=identity.identity_id,
                username=identity.username,
                name=identity.name,
                email=identity.email,
                organization=identity.organization,
                identity_provider=identity.identity_provider,
                primary=identity.identity_id == user.primary_identity_id,
            )
            for identity in sorted(
                user.identities, key=lambda i: (i.identity_id != user.primary_identity_id, i.username)
            )
        ],
    )


def primary_identity_id(user_id: int) -> str | None:
    """The primary Globus identity id of a user."""
    return db.session.scalar(select(User.primary_identity_id).where(User.id == user_id))


def _sync_identities(user: User, entries: Iterable[dict[str, Any]]) -> None:
    entries = list(entries)
    wanted = {entry["identity_id"] for entry in entries}
    for unlinked in list(user.identities):
        if unlinked.identity_id not in wanted:
            db.session.delete(unlinked)
    db.session.flush()
    for entry in entries:
        identity = db.session.scalar(select(Identity).where(Identity.identity_id == entry["identity_id"]))
        if identity is None:
            identity = Identity(identity_id=entry["identity_id"], user_id=user.id, username=entry["username"])
            db.session.add(identity)
        # An identity re-linked to another Globus account moves to that account's portal user.
        identity.user_id = user.id
        identity.username = entry["username"]
        identity.name = entry["name"]
        identity.email = entry["email"]
        identity.organization = entry["organization"]
        identity.identity_provider = entry["identity_provider"]


def _identity_entries(info: Mapping[str, Any], primary_id: str) -> list[dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    raw_set = info.get("identity_set")
    for raw in raw_set if isinstance(raw_set, list) else []:
        if not isinstance(raw, Mapping):
            continue
        identity_id = _text(raw.get("sub") or raw.get("id"))
        if not identity_id:
            continue
        entries[identity_id] = {
            "identity_id": identity_id,
            "username": _text(raw.get("username") or raw.get("preferred_username")) or identity_id,
            "name": _text(raw.get("name")),
            "email": _text(raw.get("email")),
            "organization": _text(raw.get("organization")),
            "identity_provider": _text(raw.get("identity_provider_display_name") or raw.get("identity_provider")),
        }
    if primary_id not in entries:
        entries[primary_id] = {
            "identity_id": primary_id,
            "username": _username(info, primary_id),
            "name": _text(info.get("name")),
            "email": _text(info.get("email")),
            "organization": _text(info.get("organization")),
            "identity_provider": _text(info.get("identity_provider_display_name") or info.get("identity_provider")),
        }
    return list(entries.values())


def _username(info: Mapping[str, Any], fallback: str) -> str:
    return _text(info.get("preferred_username") or info.get("username")) or fallback


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:255] or None
