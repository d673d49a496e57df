"""Every table comes from a migration: one head, and the migrated schema equals the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from tests.portal_fixtures import MIGRATIONS, external_database_url, portal_overrides


def test_there_is_a_single_head():
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migration branches need merging: {heads}"


def test_migrated_schema_matches_the_models(portal_app):
    with portal_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models and migrations disagree (write a migration): {differences}"


@pytest.mark.skipif(external_database_url() is not None, reason="needs its own empty SQLite database")
def test_the_app_creates_no_table_by_itself(tmp_path):
    # flask-session's own SQL backend would create `sessions` at startup; ours must not.
    app = create_app(portal_overrides(tmp_path / "instance"))
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()


def test_upgrade_creates_every_portal_table(portal_app):
    with portal_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"sessions", "alembic_version", "users", "identities", "stored_tokens", "pending_revocations"} <= tables


@pytest.mark.skipif(external_database_url() is not None, reason="SQLite only")
def test_sqlite_runs_in_wal_mode_with_foreign_keys(portal_app):
    with portal_app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
