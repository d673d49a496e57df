"""Alembic environment: migrate the portal's database with the running app's engine and models."""

from __future__ import annotations

from alembic import context
from flask import current_app

import app.models  # noqa: F401  (every model module, so autogenerate sees every table)
from app.extensions import db


# SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
def _configure_kwargs(connection) -> dict:
    return {
        "target_metadata": db.metadata,
        "compare_type": True,
        "render_as_batch": connection.dialect.name == "sqlite",
        **current_app.extensions["migrate"].configure_args,
    }


def run_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Apply migrations over a live connection."""
    with db.engine.connect() as connection:
        context.configure(connection=connection, **_configure_kwargs(connection))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
