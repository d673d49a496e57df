"""Auth-side tables: identities, groups, OAuth clients and their scopes, codes, consents, tokens."""

from __future__ import annotations

import time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emulator.db import Base


def now() -> int:
    """The current Unix time in whole seconds (column default)."""
    return int(time.time())


class Identity(Base):
    """A person's (or a client's) Globus identity. Clients use `<client_id>@clients.auth.globus.org`."""

    __tablename__ = "identities"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    organization: Mapped[str | None] = mapped_column(String(255), nullable=True)
    identity_provider: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default="used")
    # bcrypt is not a dependency; pbkdf2 from hashlib is enough for seeded demo users.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Identities linked into one account share the primary identity's id here.
    account_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    role: Mapped[str] = mapped_column(String(32), default="researcher")


class Group(Base):
    """A Globus group."""

    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")


class GroupMembership(Base):
    """An identity's role in a group."""

    __tablename__ = "group_memberships"

    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), default="member")  # member | manager | admin


class Client(Base):
    """A registered OAuth client (confidential: it has a secret)."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    secret_hash: Mapped[str] = mapped_column(String(255))
    redirect_uris: Mapped[str] = mapped_column(Text, default="")  # newline separated, exact match
    purpose: Mapped[str] = mapped_column(String(32), default="portal")


class ClientScope(Base):
    """A scope a client defines for its own API (resource server = the client id).

    `dependent_scopes` are what a dependent-token grant may mint for the caller of that API.
    """

    __tablename__ = "client_scopes"

    scope_string: Mapped[str] = mapped_column(String(512), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255), default="")
    dependent_scopes: Mapped[str] = mapped_column(Text, default="")  # space separated


class AuthorizationCode(Base):
    """A single-use authorization code, valid for a few minutes."""

    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)  # the full requested scope strings, space separated
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    nonce: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # Echoed in the token response, as Globus does.
    state: Mapped[str | None] = mapped_column(Text, nullable=True)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_time: Mapped[int] = mapped_column(Integer, default=now)
    expires_at: Mapped[int] = mapped_column(Integer)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Consent(Base):
    """A user's consent for a client to use a scope (with the dependent scopes granted under it)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    scope_string: Mapped[str] = mapped_column(Text)  # the full requested string, brackets included
    created_at: Mapped[int] = mapped_column(Integer, default=now)


class Token(Base):
    """An issued access or refresh token. Only its SHA-256 is stored."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(8))  # access | refresh
    client_id: Mapped[str] = mapped_column(String(36), index=True)
    # For client_credentials tokens the subject is the client's own identity (id == client id).
    identity_id: Mapped[str] = mapped_column(String(36), index=True)
    resource_server: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated base scope strings
    # Dependent scopes consented beneath this token's scope, e.g. a collection's data_access.
    dependent_scopes: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[int] = mapped_column(Integer, default=now)
    expires_at: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None for refresh tokens
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # An access token minted with (or by) a refresh token: revoking the refresh token kills it too.
    parent_refresh_id: Mapped[int | None] = mapped_column(Integer, index=True, nullable=True)
    auth_time: Mapped[int | None] = mapped_column(Integer, nullable=True)

    def scope_list(self) -> list[str]:
        """The token's scopes as a list."""
        return self.scopes.split()

    def dependent_scope_list(self) -> list[str]:
        """The dependent scopes consented beneath the token's scope, as a list."""
        return self.dependent_scopes.split()


class PendingAuthorization(Base):
    """An authorize request waiting for login/consent, tied to one browser's emulator cookie.

    Kept server-side because scope strings (with data_access brackets) would overflow a cookie.
    """

    __tablename__ = "pending_authorizations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    browser_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON of the request parameters
    created_at: Mapped[int] = mapped_column(Integer, default=now, index=True)
