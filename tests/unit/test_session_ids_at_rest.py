"""Session ids at rest (issue #7 item 2): the store holds a keyed hash of each id, never the id.

Whoever can read the database (or Redis) must not be able to take over a live session with what
they read; and the SQLite file and the instance folder are the owner's alone.
"""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.server_session import ServerSession
from tests.portal_fixtures import external_database_url

COOKIE = "gateway_session"


def _stored_ids(app) -> list[str]:
    if app.config["SESSION_BACKEND"] == "redis":
        client = app.session_interface.client
        return [key.decode() for key in client.scan_iter(match=app.session_interface.key_prefix + "*")]
    with app.app_context():
        ids = list(db.session.scalars(select(ServerSession.session_id)))
        db.session.remove()
    return ids


def test_the_store_never_holds_a_session_id_a_browser_could_present(portal_app):
    client = portal_app.test_client()
    with client.session_transaction() as session:
        session["marker"] = "kept"
    sid = client.get_cookie(COOKIE).value
    stored = _stored_ids(portal_app)
    assert stored and not any(sid in stored_id for stored_id in stored)
    # The session still works for its browser...
    with client.session_transaction() as session:
        assert session["marker"] == "kept"
    # ...and what the store holds is useless as a cookie.
    thief = portal_app.test_client()
    for stored_id in stored:
        thief.set_cookie(COOKIE, stored_id.removeprefix(portal_app.session_interface.key_prefix))
        with thief.session_transaction() as session:
            assert "marker" not in session


@pytest.mark.skipif(external_database_url() is not None, reason="checks the default SQLite file")
def test_the_sqlite_file_and_the_instance_folder_are_owner_only(tmp_path):
    from tests.portal_fixtures import build_migrated_app, portal_overrides

    instance = tmp_path / "instance"
    app = build_migrated_app(portal_overrides(instance, DATABASE_URL=f"sqlite:///{instance / 'gateway.sqlite3'}"))
    app.test_client().get("/login")
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for path in instance.glob("gateway.sqlite3*"):  # the database and its -wal/-shm companions
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (instance / "gateway.sqlite3").exists()
