"""Server-side sessions: flask-session's Redis backend, or our SQL table (created by a migration).

flask-session's own SQL backend creates its table when the app starts; ours must come from
Alembic like every other table, so the SQL interface below reuses flask-session's machinery
(cookie handling, serializer, id regeneration) over the `sessions` model instead.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import Flask, Request
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.redis import RedisSessionInterface
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from app.database import rows_affected
from app.extensions import db
from app.models.server_session import ServerSession
from app.models.timestamps import utcnow
from app.security.bearer_only import is_bearer_only
from app.security.session_policy import USER_KEY

# Built once (constructing a select costs more than running it); every page runs it.
_READ_SESSION = select(ServerSession.data, ServerSession.expiry).where(
    ServerSession.session_id == bindparam("store_id")
)


class WritesOnlyWhenChanged:
    """Mixin: store the session and send its cookie only when a request changed it.

    flask-session otherwise rewrites every session on every request (SESSION_REFRESH_EACH_REQUEST),
    a database write per page. session_policy marks a used session changed at least once a minute,
    which moves the stored expiry (now + idle lifetime) and the cookie's along with it.
    """

    def should_set_storage(self, app: Flask, session: ServerSideSession) -> bool:
        """Write the stored session only when this request changed it."""
        return session.modified

    def should_set_cookie(self, app: Flask, session: ServerSideSession) -> bool:
        """Send the cookie only when the session changed (its expiry moves with the stored row)."""
        return session.modified


class OpensNoSessionForBearerRequests:
    """Mixin: JSON API requests get Flask's null session: nothing read, nothing stored, no cookie.

    The API authenticates by bearer token only, so a session cookie sent with it is never looked
    up, and anything that tried to write a session there would fail loudly (NullSession).
    """

    def open_session(self, app: Flask, request: Request) -> ServerSideSession | None:
        """None (Flask's null session) for API paths, the stored session otherwise."""
        if is_bearer_only(request.path):
            return None
        return super().open_session(app, request)  # type: ignore[misc]


class StoresKeyedHashOfId:
    """Mixin: the store is keyed by HMAC-SHA256(key, session id), never by the id itself.

    Anyone who can read the sessions table or Redis sees only hashes, which cannot be turned back
    into a cookie that the portal accepts. The key is derived from SECRET_KEY (rotating it ends
    every session, as it should).
    """

    key_prefix: str
    _id_key: bytes

    def bind_id_key(self, secret_key: str) -> None:
        """Derive the hashing key from the app's secret (a separate purpose, so a separate key)."""
        self._id_key = hmac.new(secret_key.encode(), b"gateway session id at rest", hashlib.sha256).digest()

    def _get_store_id(self, sid: str) -> str:
        digest = hmac.new(self._id_key, sid.encode(), hashlib.sha256).hexdigest()
        return self.key_prefix + digest


class RedisSessionWhenChanged(
    OpensNoSessionForBearerRequests, StoresKeyedHashOfId, WritesOnlyWhenChanged, RedisSessionInterface
):
    """flask-session's Redis backend, written only when the session changed.

    Each logged-in session's store id is also kept in a per-user set, so that "log out of all my
    sessions" can find them; the set lives as long as its newest session.
    """

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession, store_id: str) -> None:
        super()._upsert_session(session_lifetime, session, store_id)
        user_id = session.get(USER_KEY)
        if user_id is not None:
            index = self._user_index(user_id)
            with self.client.pipeline() as pipe:
                pipe.sadd(index, store_id)
                pipe.expire(index, session_lifetime)
                pipe.execute()

    def end_user_sessions(self, user_id: int) -> int:
        """Delete every stored session of the user; returns how many there were."""
        index = self._user_index(user_id)
        store_ids = list(self.client.smembers(index))
        if store_ids:
            self.client.delete(*store_ids)
        self.client.delete(index)
        return len(store_ids)

    def _user_index(self, user_id: int) -> str:
        # Store ids are the prefix plus a hex digest, so "user:" keys never collide with them.
        return f"{self.key_prefix}user:{int(user_id)}"


class SqlSessionInterface(
    OpensNoSessionForBearerRequests, StoresKeyedHashOfId, WritesOnlyWhenChanged, ServerSideSessionInterface
):
    """Stores sessions in the migrated `sessions` table through the app's SQLAlchemy engine."""

    session_class = ServerSideSession
    ttl = False

    def __init__(self, app: Flask):
        super().__init__(
            app,
            key_prefix="session:",
            use_signer=False,
            permanent=True,
            sid_length=32,
            serialization_format="msgpack",
            # Expired rows are purged on roughly one request in this many.
            cleanup_n_requests=500,
        )

    # Reading is one plain select on the request's own connection (every page reads its session:
    # no ORM session, no second connection). Each write uses its own ORM session, so saving the
    # browser session never commits (or trips over) whatever the view left in db.session.
    def _retrieve_session_data(self, store_id: str) -> dict | None:
        row = db.session.connection().execute(_READ_SESSION, {"store_id": store_id}).first()
        if row is None:
            return None
        if row.expiry is None or row.expiry <= utcnow():
            self._delete_session(store_id)
            return None
        return self.serializer.decode(row.data)

    def _delete_session(self, store_id: str) -> None:
        with OrmSession(db.engine) as orm, orm.begin():
            orm.execute(delete(ServerSession).where(ServerSession.session_id == store_id))

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession, store_id: str) -> None:
        expiry: datetime = utcnow() + session_lifetime
        data = self.serializer.encode(session)
        user_id = session.get(USER_KEY)
        try:
            self._write(store_id, data, expiry, user_id)
        except IntegrityError:
            # Two first requests of one new session raced to insert; the row exists now.
            self._write(store_id, data, expiry, user_id)

    @staticmethod
    def _write(store_id: str, data: bytes, expiry: datetime, user_id: int | None) -> None:
        with OrmSession(db.engine) as orm, orm.begin():
            row = orm.scalar(select(ServerSession).where(ServerSession.session_id == store_id))
            if row is None:
                orm.add(ServerSession(session_id=store_id, data=data, expiry=expiry, user_id=user_id))
            else:
                row.data = data
                row.expiry = expiry
                row.user_id = user_id

    def end_user_sessions(self, user_id: int) -> int:
        """Delete every stored session of the user; returns how many there were."""
        with OrmSession(db.engine) as orm, orm.begin():
            return rows_affected(orm.execute(delete(ServerSession).where(ServerSession.user_id == user_id)))

    def _delete_expired_sessions(self) -> None:
        with OrmSession(db.engine) as orm, orm.begin():
            orm.execute(delete(ServerSession).where(ServerSession.expiry <= utcnow()))


def init_sessions(app: Flask) -> None:
    """Bind the configured session backend (SESSION_BACKEND=sqlalchemy|redis) to the app."""
    if app.config["SESSION_BACKEND"] == "redis":
        import redis

        app.session_interface = RedisSessionWhenChanged(
            app,
            client=redis.Redis.from_url(app.config["REDIS_URL"]),
            key_prefix=app.config.get("SESSION_KEY_PREFIX", "gateway-session:"),
            use_signer=False,
            permanent=True,
            sid_length=32,
            serialization_format="msgpack",
        )
    else:
        app.session_interface = SqlSessionInterface(app)
    app.session_interface.bind_id_key(app.config["SECRET_KEY"])


def _bound_store(app: Flask) -> SqlSessionInterface | RedisSessionWhenChanged:
    interface = app.session_interface
    if not isinstance(interface, SqlSessionInterface | RedisSessionWhenChanged):
        raise RuntimeError("init_sessions() has not bound the portal's session store to this app")
    return interface


def end_user_sessions(app: Flask, user_id: int) -> int:
    """End every server-side session of a user, in whichever backend holds them."""
    return _bound_store(app).end_user_sessions(user_id)


def regenerate_session_id(app: Flask, session: ServerSideSession) -> None:
    """Give the session a new id (drops the old stored copy) — done at every login."""
    _bound_store(app).regenerate(session)
