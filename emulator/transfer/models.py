"""Transfer catalogue tables: collections, ACL rules, roles, bookmarks, recent use, quotas, big folder.

Files themselves live on disk under each collection's `root_path`; these tables hold what Globus
keeps about them: who owns a collection, who may read or write where, and per-user bookmarks.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from emulator.db import Base

# Kinds of collection the emulator models, and the entity_type Transfer reports for each.
ENTITY_TYPES = {
    "mapped": "GCSv5_mapped_collection",
    "guest": "GCSv5_guest_collection",
    "personal": "GCP_mapped_collection",
    "public": "GCSv5_guest_collection",
}

ROLE_NAMES = ("administrator", "access_manager", "activity_manager", "activity_monitor")
PRINCIPAL_TYPES = ("identity", "group", "all_authenticated_users", "anonymous")


def now() -> int:
    """Seconds since the epoch, as the timestamp columns store them."""
    return int(time.time())


def new_id() -> str:
    """A fresh random UUID string, the id format of every Transfer object."""
    return str(uuid.uuid4())


class Collection(Base):
    """A Globus collection (what Transfer v0.10 still calls an endpoint) backed by a local folder."""

    __tablename__ = "transfer_collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # mapped | guest | personal | public
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_string: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    organization: Mapped[str] = mapped_column(String(255), default="")
    department: Mapped[str] = mapped_column(String(255), default="")
    contact_email: Mapped[str] = mapped_column(String(255), default="")
    keywords: Mapped[str] = mapped_column(String(512), default="")  # comma separated
    # Guest collections live on a mapped (host) collection.
    host_collection_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    requires_data_access: Mapped[bool] = mapped_column(Boolean, default=False)
    high_assurance: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # visible in "all" searches
    root_path: Mapped[str] = mapped_column(Text)  # absolute folder on this machine
    subscription_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # Set through the control API to simulate an outage (503 on every operation).
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(Integer, default=now)

    @property
    def entity_type(self) -> str:
        """The Transfer entity_type string for this kind of collection."""
        return ENTITY_TYPES[self.kind]

    @property
    def data_access_scope(self) -> str:
        """The dependent scope a mapped collection with requires_data_access needs."""
        return f"https://auth.globus.org/scopes/{self.id}/data_access"


class MappedIdentity(Base):
    """An identity allowed onto a mapped collection, and the local account it maps to."""

    __tablename__ = "transfer_mapped_identities"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("transfer_collections.id", ondelete="CASCADE"), primary_key=True
    )
    identity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    local_username: Mapped[str] = mapped_column(String(64))


class AclRule(Base):
    """A guest collection's access rule: a principal may read (r) or read-write (rw) under a path."""

    __tablename__ = "transfer_acl_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    collection_id: Mapped[str] = mapped_column(ForeignKey("transfer_collections.id", ondelete="CASCADE"), index=True)
    principal_type: Mapped[str] = mapped_column(String(32))
    principal: Mapped[str] = mapped_column(String(255), default="")  # "" for anonymous/all users
    path: Mapped[str] = mapped_column(Text)  # starts and ends with "/"
    permissions: Mapped[str] = mapped_column(String(2))  # r | rw
    notify_email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    expiration_date: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_by: Mapped[str] = mapped_column(String(36), default="")
    created_at: Mapped[int] = mapped_column(Integer, default=now)


class RoleAssignment(Base):
    """A role (administrator, access_manager, ...) held on a collection by an identity or group."""

    __tablename__ = "transfer_roles"
    __table_args__ = (UniqueConstraint("collection_id", "principal_type", "principal", "role"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    collection_id: Mapped[str] = mapped_column(ForeignKey("transfer_collections.id", ondelete="CASCADE"), index=True)
    principal_type: Mapped[str] = mapped_column(String(16))  # identity | group
    principal: Mapped[str] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[int] = mapped_column(Integer, default=now)


class Bookmark(Base):
    """A user's named pointer to a path on a collection; names are unique per user."""

    __tablename__ = "transfer_bookmarks"
    __table_args__ = (UniqueConstraint("identity_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    identity_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(128))
    collection_id: Mapped[str] = mapped_column(ForeignKey("transfer_collections.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(Integer, default=now)


class RecentUse(Base):
    """When an identity last used a collection (feeds the "recently-used" endpoint search)."""

    __tablename__ = "transfer_recent_use"

    identity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("transfer_collections.id", ondelete="CASCADE"), primary_key=True
    )
    # Sub-second precision keeps "newest first" exact for uses within the same second.
    last_used_at: Mapped[float] = mapped_column(Float, default=time.time, index=True)


class BigFolder(Base):
    """The large test folder: where it is, how many entries it should have, whether it exists yet."""

    __tablename__ = "transfer_big_folders"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("transfer_collections.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CollectionQuota(Base):
    """A storage quota (bytes) on a collection; without a row a collection has no quota."""

    __tablename__ = "transfer_collection_quotas"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("transfer_collections.id", ondelete="CASCADE"), primary_key=True
    )
    quota_bytes: Mapped[int] = mapped_column(Integer)
