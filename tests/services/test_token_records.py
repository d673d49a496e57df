"""Encrypted token rows: no plaintext at rest, row binding, rotation, and concurrent writers."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from globus_sdk.token_storage import TokenStorageData
from sqlalchemy import select, update

from app.extensions import db
from app.models import PendingRevocation, StoredToken
from app.security.keyring_config import current_keyring
from app.security.token_cipher import TokenDecryptionError, TokenKeyring, generate_key_line, key_id_of
from app.services import token_records
from app.services.globus.token_store import SqlTokenStorage
from app.services.token_records import rotate_to_primary_key
from tests.portal_fixtures import external_database_url
from tests.users import portal_user

ACCESS = "AgAccessTokenForTests0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
REFRESH = "AgRefreshTokenForTests0123456789abcdefghijklmnopqrstuvwxyzABCDEF"


def _save(
    user_id: int,
    resource_server: str = "transfer.api.globus.org",
    *,
    access: str = ACCESS,
    refresh: str | None = REFRESH,
    expires_at: int = 2_000_000_000,
) -> int:
    return token_records.save_token(
        user_id, resource_server, scopes="urn:x:all", expires_at=expires_at, access_token=access, refresh_token=refresh
    )


def _database_bytes(app) -> bytes:
    path = Path(urlsplit(app.config["SQLALCHEMY_DATABASE_URI"]).path)
    # WAL mode: recent writes live in the -wal file until a checkpoint; read every file.
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.mark.skipif(external_database_url() is not None, reason="inspects the SQLite file itself")
def test_raw_sqlite_files_contain_no_token_string(portal_app):
    with portal_app.app_context():
        user_id = portal_user(portal_app, "alice", tokens={})
        _save(user_id)
        _save(user_id, "auth.globus.org", access=ACCESS[::-1], refresh=REFRESH[::-1])
        assert token_records.read_token(user_id, "transfer.api.globus.org").access_token == ACCESS
    raw = _database_bytes(portal_app)
    assert b"v1:test1:" in raw  # the rows are really there
    for secret in (ACCESS, REFRESH, ACCESS[::-1], REFRESH[::-1]):
        assert secret.encode() not in raw


@pytest.mark.postgres
@pytest.mark.skipif(external_database_url() is None, reason="DATABASE_URL is not PostgreSQL")
def test_postgresql_dump_contains_no_token_string(portal_app):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    with portal_app.app_context():
        user_id = portal_user(portal_app, "alice", tokens={})
        _save(user_id)
    url = urlsplit(external_database_url().replace("postgresql+psycopg", "postgresql"))
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    dump = subprocess.run(
        ["pg_dump", "-h", url.hostname, "-p", str(url.port or 5432), "-U", url.username, url.path.lstrip("/")],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    assert b"v1:test1:" in dump
    assert ACCESS.encode() not in dump and REFRESH.encode() not in dump


def test_a_ciphertext_copied_to_another_users_row_fails(portal_app):
    with portal_app.app_context():
        alice, bob = portal_user(portal_app, "alice", tokens={}), portal_user(portal_app, "bob", tokens={})
        _save(alice, access=ACCESS)
        _save(bob, access="AgBobsOwnToken")
        alices_value = db.session.scalar(select(StoredToken.access_token_enc).where(StoredToken.user_id == alice))
        db.session.execute(update(StoredToken).where(StoredToken.user_id == bob).values(access_token_enc=alices_value))
        db.session.commit()
        with pytest.raises(TokenDecryptionError):
            token_records.read_token(bob, "transfer.api.globus.org")
        # The portal treats it as "log in again", never as Alice's token.
        from app.services.errors import ReauthenticationRequired
        from app.services.user_clients import transfer_client

        with portal_app.test_request_context():
            with pytest.raises(ReauthenticationRequired):
                transfer_client(bob)
        assert token_records.read_token(alice, "transfer.api.globus.org").access_token == ACCESS


def test_a_ciphertext_moved_between_columns_or_services_fails(portal_app):
    with portal_app.app_context():
        alice = portal_user(portal_app, "alice", tokens={})
        _save(alice)
        _save(alice, "search.api.globus.org")
        row = db.session.scalar(select(StoredToken).where(StoredToken.resource_server == "transfer.api.globus.org"))
        db.session.execute(
            update(StoredToken)
            .where(StoredToken.resource_server == "search.api.globus.org")
            .values(access_token_enc=row.access_token_enc)
        )
        db.session.execute(
            update(StoredToken).where(StoredToken.id == row.id).values(access_token_enc=row.refresh_token_enc)
        )
        db.session.commit()
        for resource_server in ("search.api.globus.org", "transfer.api.globus.org"):
            with pytest.raises(TokenDecryptionError):
                token_records.read_token(alice, resource_server)


def test_rotation_leaves_no_row_under_the_old_key(portal_app):
    with portal_app.app_context():
        alice, bob = portal_user(portal_app, "alice", tokens={}), portal_user(portal_app, "bob", tokens={})
        for user_id in (alice, bob):
            _save(user_id)
            _save(user_id, "auth.globus.org", refresh=None)
        keyring = current_keyring()
        db.session.add(
            PendingRevocation(
                user_id=alice,
                resource_server="auth.globus.org",
                token_kind="access_token",
                token_enc=keyring.encrypt(
                    "AgPending", binding=token_records.pending_binding(alice, "auth.globus.org", "access_token")
                ),
            )
        )
        db.session.commit()
        old_kid = keyring.primary_kid
        portal_app.extensions["token_keyring"] = TokenKeyring(
            primary_kid="rotated",
            keys={"rotated": TokenKeyring.from_spec(generate_key_line("rotated")).keys["rotated"], **keyring.keys},
        )
        report = rotate_to_primary_key()
        assert report.reencrypted == 5 and report.failed == [] and report.key_ids_in_use == ["rotated"]
        values = db.session.execute(select(StoredToken.access_token_enc, StoredToken.refresh_token_enc)).all()
        kids = {key_id_of(v) for row in values for v in row if v}
        kids |= {key_id_of(v) for v in db.session.scalars(select(PendingRevocation.token_enc))}
        assert kids == {"rotated"} and old_kid not in kids
        # Without the old key everything still decrypts.
        portal_app.extensions["token_keyring"] = TokenKeyring(
            primary_kid="rotated", keys={"rotated": portal_app.extensions["token_keyring"].keys["rotated"]}
        )
        assert token_records.read_token(bob, "transfer.api.globus.org").refresh_token == REFRESH


def test_writes_are_versioned_and_keep_the_refresh_token_when_omitted(portal_app):
    with portal_app.app_context():
        alice = portal_user(portal_app, "alice", tokens={})
        assert _save(alice) == 1
        assert _save(alice, access="AgSecondAccess", refresh=None) == 2
        record = token_records.read_token(alice, "transfer.api.globus.org")
        assert (record.access_token, record.refresh_token, record.version) == ("AgSecondAccess", REFRESH, 2)


def test_a_stale_writer_retries_instead_of_overwriting_blindly(portal_app):
    with portal_app.app_context():
        alice = portal_user(portal_app, "alice", tokens={})
        _save(alice)
        # Simulate another process's refresh landing between our read and our write: the first
        # UPDATE ... WHERE version = 1 then matches no row and the writer must re-read.
        from sqlalchemy import event

        engine = db.engine
        fired = []

        def concurrent_refresh(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("UPDATE STORED_TOKENS") and not fired:
                fired.append(True)
                conn.exec_driver_sql(
                    "UPDATE stored_tokens SET version = version + 1 WHERE user_id = ?"
                    if engine.dialect.name == "sqlite"
                    else "UPDATE stored_tokens SET version = version + 1 WHERE user_id = %s",
                    (alice,),
                )

        event.listen(engine, "before_cursor_execute", concurrent_refresh)
        try:
            version = _save(alice, access="AgAfterConflict", refresh="AgRotatedRefresh")
        finally:
            event.remove(engine, "before_cursor_execute", concurrent_refresh)
        assert fired and version == 3
        record = token_records.read_token(alice, "transfer.api.globus.org")
        assert (record.access_token, record.refresh_token, record.version) == ("AgAfterConflict", "AgRotatedRefresh", 3)


def test_concurrent_refreshes_from_many_threads_all_land(portal_app):
    with portal_app.app_context():
        alice = portal_user(portal_app, "alice", tokens={})
        _save(alice)
    errors: list[BaseException] = []

    def refresh(n: int) -> None:
        try:
            with portal_app.app_context():
                SqlTokenStorage(alice, rows=token_records).store_token_data_by_resource_server(
                    {
                        "transfer.api.globus.org": TokenStorageData(
                            resource_server="transfer.api.globus.org",
                            identity_id="id-alice",
                            scope="urn:x:all",
                            access_token=f"AgAccess{n:03d}",
                            refresh_token=None,
                            expires_at_seconds=2_000_000_000 + n,
                            token_type="Bearer",
                        )
                    }
                )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=refresh, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with portal_app.app_context():
        record = token_records.read_token(alice, "transfer.api.globus.org")
    # Every writer's update was applied on top of the previous one: none was lost or skipped.
    assert record.version == 9
    assert record.refresh_token == REFRESH and record.access_token.startswith("AgAccess")
