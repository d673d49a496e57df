"""token_records.save_tokens: all of a login's tokens in one transaction, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import User
from app.services import token_records

RESOURCE_SERVERS = ("auth.globus.org", "transfer.api.globus.org", "search.api.globus.org")


def _user(name: str) -> int:
    user = User(primary_identity_id=f"00000000-0000-4000-8000-{abs(hash(name)) % 10**12:012d}", username=name)
    db.session.add(user)
    db.session.commit()
    return user.id


def _grant(prefix: str) -> list[token_records.TokenWrite]:
    return [
        token_records.TokenWrite(
            rs,
            scopes=f"urn:{rs}:all",
            expires_at=2_000_000_000,
            access_token=f"Ag{prefix}Access-{rs}",
            refresh_token=f"Ag{prefix}Refresh-{rs}",
            requested_scopes=f"urn:{rs}:all",
        )
        for rs in RESOURCE_SERVERS
    ]


def test_a_grant_is_stored_in_one_transaction(portal_app):
    with portal_app.app_context():
        user_id = _user("one-transaction@example.edu")
        begins = []
        listener = lambda conn: begins.append(conn)  # noqa: E731 - a one-line event hook
        event.listen(db.engine, "begin", listener)
        try:
            versions = token_records.save_tokens(user_id, _grant("First"), revoke_replaced=True)
        finally:
            event.remove(db.engine, "begin", listener)
        assert versions == {rs: 1 for rs in RESOURCE_SERVERS}
        assert len(begins) == 1
        stored = token_records.read_tokens(user_id)
        assert {rs: record.access_token for rs, record in stored.items()} == {
            rs: f"AgFirstAccess-{rs}" for rs in RESOURCE_SERVERS
        }


def test_a_grant_that_fails_halfway_stores_nothing(portal_app):
    with portal_app.app_context():
        user_id = _user("all-or-nothing@example.edu")
        token_records.save_tokens(user_id, _grant("Old"))
        writes = []

        def fail_on_the_second_row(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("UPDATE STORED_TOKENS"):
                writes.append(statement)
                if len(writes) == 2:
                    raise RuntimeError("the database went away mid-login")

        event.listen(db.engine, "before_cursor_execute", fail_on_the_second_row)
        try:
            with pytest.raises(RuntimeError):
                token_records.save_tokens(user_id, _grant("New"), revoke_replaced=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", fail_on_the_second_row)
        stored = token_records.read_tokens(user_id)
        # The first row's update was rolled back with the rest: the old grant is whole.
        assert {record.access_token for record in stored.values()} == {f"AgOldAccess-{rs}" for rs in RESOURCE_SERVERS}
        assert token_records.count_pending(user_id=user_id) == 0, "nothing queued for revocation either"
