"""The `gateway` command: help, key generation, migrations and key rotation as real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from app.security.token_cipher import TokenKeyring, generate_key_line, key_id_of
from app.services.token_records import token_binding
from tests.portal_fixtures import external_database_url

COMMANDS = ("run", "emulator", "demo", "db", "keys", "tokens")


def _gateway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    executable = shutil.which("gateway", path=str(Path(sys.executable).parent))
    command = [executable] if executable else [sys.executable, "-m", "app.cli"]
    # From / : the command must not depend on the working directory (an installed copy has none).
    return subprocess.run(
        [*command, *args], cwd=os.sep, env=env or dict(os.environ), capture_output=True, text=True, timeout=120
    )


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GLOBUS_", "GATEWAY_"))}
    env.update(
        {
            "GATEWAY_ENV": "test",
            "GATEWAY_INSTANCE_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
            **extra,
        }
    )
    return env


def test_help_lists_the_commands():
    result = _gateway("--help")
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= listed
    assert "worker" in listed


def test_worker_help_offers_threads_and_scheduler_switch():
    result = _gateway("worker", "--help")
    assert result.returncode == 0, result.stderr
    assert "--workers" in result.stdout and "--no-scheduler" in result.stdout


def test_subcommand_help():
    assert "upgrade" in _gateway("db", "--help").stdout
    keys_help = _gateway("keys", "--help").stdout
    assert "generate" in keys_help and "rotate" in keys_help
    assert "retry-revocations" in _gateway("tokens", "--help").stdout


def test_keys_generate_prints_a_usable_key_line():
    result = _gateway("keys", "generate", "--kid", "2026a")
    assert result.returncode == 0
    line = result.stdout.strip()
    assert line.startswith("2026a:")
    assert TokenKeyring.from_spec(line).primary_kid == "2026a"
    assert _gateway("keys", "generate", "--kid", "bad kid").returncode != 0


def test_production_start_error_is_a_clear_message(tmp_path):
    result = _gateway("db", "upgrade", env=_env(tmp_path, GATEWAY_ENV="production"))
    assert result.returncode != 0
    assert "refuses to start without" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(external_database_url() is not None, reason="uses its own SQLite file")
def test_db_upgrade_then_keys_rotate_moves_every_row_to_the_new_key(tmp_path):
    old, new = generate_key_line("old"), generate_key_line("new")
    env = _env(tmp_path, TOKEN_ENCRYPTION_KEYS=old)
    upgrade = _gateway("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    engine = create_engine(env["DATABASE_URL"])
    assert {"users", "stored_tokens", "pending_revocations", "sessions"} <= set(inspect(engine).get_table_names())

    old_ring = TokenKeyring.from_spec(old)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, primary_identity_id, username, created_at) "
                "VALUES (1, 'identity-1', 'alice', '2026-11-23 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO stored_tokens (user_id, resource_server, scopes, requested_scopes, expires_at, "
                "token_type, access_token_enc, refresh_token_enc, version, updated_at) VALUES "
                "(1, 'transfer.api.globus.org', 's', '', 1, 'Bearer', :a, :r, 1, '2026-11-23 00:00:00')"
            ),
            {
                "a": old_ring.encrypt("AT", binding=token_binding(1, "transfer.api.globus.org", "access_token")),
                "r": old_ring.encrypt("RT", binding=token_binding(1, "transfer.api.globus.org", "refresh_token")),
            },
        )
        connection.execute(
            text(
                "INSERT INTO pending_revocations (user_id, resource_server, token_kind, token_enc, attempts, "
                "created_at) VALUES (1, 'auth.globus.org', 'access_token', :t, 0, '2026-11-23 00:00:00')"
            ),
            {"t": old_ring.encrypt("PT", binding="1|auth.globus.org|pending-access_token")},
        )

    rotate = _gateway("keys", "rotate", env=_env(tmp_path, TOKEN_ENCRYPTION_KEYS=f"{new},{old}"))
    assert rotate.returncode == 0, rotate.stderr
    assert "re-encrypted 2 value(s) under key 'new'" in rotate.stdout
    assert "old keys may be removed" in rotate.stdout

    new_ring = TokenKeyring.from_spec(new)
    with engine.connect() as connection:
        access, refresh, version = connection.execute(
            select(text("access_token_enc, refresh_token_enc, version")).select_from(text("stored_tokens"))
        ).one()
        pending = connection.execute(text("SELECT token_enc FROM pending_revocations")).scalar_one()
    assert {key_id_of(access), key_id_of(refresh), key_id_of(pending)} == {"new"}
    assert new_ring.decrypt(access, binding=token_binding(1, "transfer.api.globus.org", "access_token")) == "AT"
    assert new_ring.decrypt(refresh, binding=token_binding(1, "transfer.api.globus.org", "refresh_token")) == "RT"
    assert version == 2
    # The old key can go now: the new keyring alone reads everything.
    again = _gateway("keys", "rotate", env=_env(tmp_path, TOKEN_ENCRYPTION_KEYS=new))
    assert again.returncode == 0 and "re-encrypted 0" in again.stdout
    engine.dispose()


def test_tokens_retry_revocations_with_nothing_pending(tmp_path):
    env = _env(tmp_path, TOKEN_ENCRYPTION_KEYS=generate_key_line("k"))
    assert _gateway("db", "upgrade", env=env).returncode == 0
    result = _gateway("tokens", "retry-revocations", env=env)
    assert result.returncode == 0 and "revoked 0; still pending 0" in result.stdout


def test_emulator_command_passes_its_arguments_through():
    result = _gateway("emulator", "--help")
    assert result.returncode == 0 and "--instance" in result.stdout and "--access-token-lifetime" in result.stdout
