"""A failed upstream revocation never blocks local clean-up, and is finished later."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import globus_sdk
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import PendingRevocation, StoredToken
from app.services.revocations import discard_user_tokens
from tests.emulator.helpers import login_user_tokens
from tests.portal_fixtures import build_migrated_app, portal_overrides
from tests.users import portal_user

SCOPES = ["openid", "urn:globus:auth:scope:transfer.api.globus.org:all"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _introspect(emulator, token: str) -> bool:
    portal = emulator.client("portal")
    client = globus_sdk.ConfidentialAppAuthClient(
        portal["client_id"], portal["client_secret"], base_url=emulator.services["auth"]
    )
    return client.oauth2_token_introspect(token)["active"]


def test_revocations_that_fail_are_queued_encrypted_and_retried_by_the_cli(emulator, tmp_path):
    manifest = str(emulator.instance_dir / "emulator.json")
    overrides = portal_overrides(
        tmp_path / "instance",
        GATEWAY_EMULATOR_MANIFEST=manifest,
        GLOBUS_CLIENT_ID=None,
        GLOBUS_CLIENT_SECRET=None,
        GLOBUS_MAX_RETRIES=0,
    )
    auth_down = build_migrated_app({**overrides, "GLOBUS_AUTH_URL": f"http://127.0.0.1:{_closed_port()}/auth/"})
    tokens = login_user_tokens(emulator, "dave", SCOPES, refresh_tokens=True)
    access_tokens = [data["access_token"] for data in tokens.values()]

    user_id = portal_user(auth_down, "dave", tokens=tokens)
    with auth_down.app_context():
        report = discard_user_tokens(user_id)
        assert report.revoked == 0 and report.pending == 2 * len(tokens)
        assert db.session.scalar(select(func.count()).select_from(StoredToken)) == 0
        pending = db.session.scalars(select(PendingRevocation).order_by(PendingRevocation.id)).all()
        # The first failure to reach Auth stops the attempt; the others wait untried.
        assert pending[0].attempts == 1 and "RemoteUnavailable" in pending[0].last_error
        assert all(row.attempts == 0 for row in pending[1:])
        stored = " ".join(row.token_enc for row in pending)
        assert all(token not in stored for token in access_tokens)
        db.engine.dispose()
    assert all(_introspect(emulator, token) for token in access_tokens)  # not revoked yet

    env = {key: value for key, value in os.environ.items() if not key.startswith(("GLOBUS_", "GATEWAY_"))}
    env.update({key: str(value) for key, value in overrides.items() if value is not None})
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "tokens", "retry-revocations"],
        cwd=os.sep,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"revoked {2 * len(tokens)}; still pending 0" in result.stdout

    assert not any(_introspect(emulator, token) for token in access_tokens)
    auth_up = create_app(overrides)
    with auth_up.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingRevocation)) == 0
        db.engine.dispose()
