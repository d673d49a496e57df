"""The `gateway` command: run the portal, the emulator or the demo, migrate, manage keys and tokens."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from app.settings import ConfigError, load_env_files


def _app(**overrides):
    from app import create_app

    try:
        return create_app(overrides or None)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Science Gateway: a Flask portal for Globus, with a local Globus-compatible emulator."""
    # A .env in the working directory (or an editable install's checkout) may hold settings; the
    # real environment always wins.
    load_env_files()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface for the dev server.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port for the dev server.")
@click.option(
    "--gunicorn",
    "use_gunicorn",
    is_flag=True,
    help="Serve with gunicorn and the shipped config (config/gunicorn.conf.py; GUNICORN_* variables).",
)
def run(host: str, port: int, use_gunicorn: bool) -> None:
    """Serve the portal (Werkzeug dev server, or gunicorn for production)."""
    if use_gunicorn:
        from app import resources

        # The installed module, from any working directory: no source tree needed.
        os.execvp(
            sys.executable, [sys.executable, "-m", "gunicorn", "-c", str(resources.gunicorn_config()), "app.wsgi:app"]
        )
    app = _app()
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


# --help too is the emulator's: every argument goes through unchanged.
@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, add_help_option=False)
@click.argument("emulator_args", nargs=-1, type=click.UNPROCESSED)
def emulator(emulator_args: tuple[str, ...]) -> None:
    """Run the local Globus emulator (same arguments as `python -m emulator`)."""
    os.execvp(sys.executable, [sys.executable, "-m", "emulator", *emulator_args])


@main.command()
@click.option("--port", default=5000, show_default=True, type=int, help="Portal port.")
@click.option("--emulator-port", default=8111, show_default=True, type=int, help="Emulator port.")
@click.option("--reset", is_flag=True, help="Re-seed the emulator's users, collections and data.")
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the demo's databases, keys and emulator data (default: instance/).",
)
@click.option("--smtp-port", default=0, type=int, help="Port of the demo's local mailbox (default: any free port).")
def demo(port: int, emulator_port: int, reset: bool, instance: Path | None, smtp_port: int) -> None:
    """Start the emulator, the portal and the worker with seeded demo data, and a local mailbox."""
    from app.demo import run_demo

    run_demo(
        port=port,
        emulator_port=emulator_port,
        reset=reset,
        with_worker="worker" in main.commands,
        instance=instance,
        smtp_port=smtp_port,
    )


@main.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Job threads.")
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Do not run periodic jobs (every consumer but one, when several run).",
)
def worker(workers: int, no_scheduler: bool) -> None:
    """Run the background worker (a Huey consumer): task watching, notifications, sweeps."""
    from app.worker.consumer import run_consumer

    run_consumer(_app(), workers=workers, scheduler=not no_scheduler)


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply every pending migration to the configured database."""
    import flask_migrate

    from app import resources

    app = _app()
    with app.app_context():
        flask_migrate.upgrade(directory=str(resources.migrations_dir()), revision=revision)
    click.echo(f"database upgraded to {revision}")


@main.group()
def keys() -> None:
    """Token encryption keys."""


@keys.command("generate")
@click.option("--kid", default=None, help="Key id (default: random).")
def keys_generate(kid: str | None) -> None:
    """Print a new key line to put FIRST in TOKEN_ENCRYPTION_KEYS (or the key file)."""
    from app.security.token_cipher import KeyringError, generate_key_line

    try:
        click.echo(generate_key_line(kid))
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from None


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored token under the primary (first) key."""
    from app.services.token_records import rotate_to_primary_key

    app = _app()
    with app.app_context():
        report = rotate_to_primary_key()
        primary = app.extensions["token_keyring"].primary_kid
    click.echo(
        f"re-encrypted {report.reencrypted} value(s) under key {primary!r}; "
        f"{report.already_current} already current; key ids in use: {', '.join(report.key_ids_in_use) or 'none'}"
    )
    if report.failed:
        raise click.ClickException(
            "these rows did not decrypt with any configured key and were left as they are: " + ", ".join(report.failed)
        )
    old = [kid for kid in report.key_ids_in_use if kid != primary]
    if not old:
        click.echo("no value uses an old key any more: old keys may be removed from the configuration")


@main.group()
def tokens() -> None:
    """Stored user tokens."""


@tokens.command("retry-revocations")
@click.option("--limit", default=500, show_default=True, type=int, help="At most this many tokens.")
def tokens_retry_revocations(limit: int) -> None:
    """Retry upstream revocation of tokens whose earlier revocation failed."""
    from app.services.revocations import retry_pending_revocations

    app = _app()
    with app.app_context():
        report = retry_pending_revocations(limit=limit, for_worker=True)
    click.echo(f"revoked {report.revoked}; still pending {report.pending}")
    if report.pending:
        sys.exit(1)


if __name__ == "__main__":
    main()
