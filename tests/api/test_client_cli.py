"""The Python client (clients/python) and its `gateway-client` command line against the running
gateway: a cached login restored without a browser (refreshed and written back, 0600), every
command with --format json, `transfer --submission-id` twice = one task, exit codes for scripts,
and the confidential-client mode from environment variables."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.api.conftest import partner_tokens
from tests.emulator.transfer_clients import collection_id

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")


@pytest.fixture
def client_env(emulator, api_portal, tmp_path) -> dict[str, str]:
    """The environment of a script: its config folder, the partner's credentials, no keyring."""
    partner = emulator.client("partner")
    env = dict(os.environ)
    env.update(
        GATEWAY_CLIENT_CONFIG_DIR=str(tmp_path / "config"),
        GATEWAY_CLIENT_NO_KEYRING="1",
        GATEWAY_URL=api_portal.base_url,
        GATEWAY_CLIENT_ID=partner["client_id"],
        GATEWAY_CLIENT_SECRET=partner["client_secret"],
    )
    return env


@pytest.fixture
def logged_in_once(emulator, api_portal, client_env, monkeypatch) -> Path:
    """Alice logged in once (at the partner portal); the login is cached for scripts."""
    from gateway_client.login import save_login

    monkeypatch.setenv("GATEWAY_CLIENT_CONFIG_DIR", client_env["GATEWAY_CLIENT_CONFIG_DIR"])
    monkeypatch.setenv("GATEWAY_CLIENT_NO_KEYRING", "1")
    token = partner_tokens(emulator, "alice").by_resource_server[emulator.client("portal")["client_id"]]
    # As if the access token had expired meanwhile: the first call must refresh it.
    token = {**token, "expires_at_seconds": 1}
    return save_login("default", api_portal.base_url, emulator.client("partner")["client_id"], token, confidential=True)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway_client.cli", "--format", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def answer(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_restore_refreshes_and_writes_the_login_back_owner_only(client_env, logged_in_once):
    assert stat.S_IMODE(logged_in_once.stat().st_mode) == 0o600
    before = json.loads(logged_in_once.read_text())
    me = answer(cli(client_env, "whoami"))
    assert me["username"] == "alice@example.edu"
    after = json.loads(logged_in_once.read_text())
    assert after["access_token"] != before["access_token"] and after["expires_at"] > 1
    assert after["refresh_token"] == before["refresh_token"]
    assert stat.S_IMODE(logged_in_once.stat().st_mode) == 0o600


def test_ls_mkdir_transfer_twice_wait_show_cancel(client_env, logged_in_once, tmp_path):
    listing = answer(cli(client_env, "ls", f"{CRYOEM_SHARED}:/~/run 01/", "--limit", "50"))
    assert listing["data"] and listing["path"] == "/~/run 01/"
    folder = f"cli-{uuid.uuid4().hex[:8]}"
    assert answer(cli(client_env, "mkdir", f"{LAB_ARCHIVE}:/~/{folder}"))["path"] == f"/~/{folder}/"
    submission = str(uuid.uuid4())
    args = ["transfer", f"{CRYOEM_SHARED}:/~/run 01/", f"{LAB_ARCHIVE}:/~/{folder}/copy/", "--recursive"]
    args += ["--submission-id", submission, "--sync-level", "size", "--notify", "off", "--label", "cli copy"]
    first = answer(cli(client_env, *args))
    second = answer(cli(client_env, *args))
    assert second["task_id"] == first["task_id"]
    assert (first["reused"], second["reused"]) == (False, True)
    done = answer(cli(client_env, "task", "wait", first["task_id"], "--timeout", "120", "--interval", "0.5"))
    assert done["status"] == "SUCCEEDED" and done["label"] == "cli copy"
    assert answer(cli(client_env, "task", "show", first["task_id"]))["task_id"] == first["task_id"]
    assert "already finished" in answer(cli(client_env, "task", "cancel", first["task_id"]))["message"]

    names = [entry["name"] for entry in listing["data"] if entry["kind"] == "file"][:2]
    batch = tmp_path / "batch.txt"
    batch.write_text("".join(f'"{name}" "{name}"\n' for name in names) + "# a comment\n")
    batched = answer(
        cli(client_env, "transfer", f"{CRYOEM_SHARED}:/~/run 01/", f"{LAB_ARCHIVE}:/~/{folder}/", "--batch", str(batch))
    )
    assert answer(cli(client_env, "task", "wait", batched["task_id"], "--interval", "0.5"))["status"] == "SUCCEEDED"
    copied = answer(cli(client_env, "ls", f"{LAB_ARCHIVE}:/~/{folder}/"))
    assert set(names) <= {entry["name"] for entry in copied["data"]}


def test_exit_codes_for_scripts(client_env, logged_in_once, tmp_path):
    refused = cli(client_env, "ls", "not-a-collection:/")
    assert refused.returncode == 1 and json.loads(refused.stdout)["error"] == "invalid_request"
    missing = cli(client_env, "task", "show", str(uuid.uuid4()))
    assert missing.returncode == 1 and json.loads(missing.stdout)["status"] == 404
    nobody = {**client_env, "GATEWAY_CLIENT_CONFIG_DIR": str(tmp_path / "empty")}
    nobody.pop("GATEWAY_CLIENT_SECRET")
    not_logged_in = cli(nobody, "whoami")
    assert not_logged_in.returncode == 3 and "gateway-client login" in not_logged_in.stderr
    assert cli(client_env, "transfer").returncode == 2  # usage
    unreachable = cli(
        {**client_env, "GATEWAY_CLIENT_CONFIG_DIR": str(tmp_path / "none"), "GATEWAY_URL": "http://127.0.0.1:9"},
        "whoami",
    )
    assert unreachable.returncode == 6


def test_confidential_client_mode_acts_as_the_client(client_env, emulator, tmp_path):
    env = {**client_env, "GATEWAY_CLIENT_CONFIG_DIR": str(tmp_path / "ci")}
    me = answer(cli(env, "whoami"))
    assert me["primary_identity_id"] == emulator.client("partner")["client_id"]
    assert me["client_id"] == emulator.client("partner")["client_id"]


def test_logout_forgets_the_login(client_env, logged_in_once):
    assert answer(cli(client_env, "logout")) == {"removed": True}
    assert not logged_in_once.exists()


def test_automation_list_and_run(client_env, logged_in_once, alice_api):
    from tests.automation_fixtures import automation_form

    created = alice_api.post("/automations", json={"fields": automation_form()}).json()["automation_id"]
    listing = answer(cli(client_env, "automation", "list"))
    assert created in [row["id"] for row in listing["data"]]
    started = answer(cli(client_env, "automation", "run", str(created)))
    assert started["run_id"] and started["skipped"] is None
    assert cli(client_env, "automation", "run").returncode == 2
    assert cli(client_env, "automation", "run", "999999999").returncode == 1


def test_native_login_with_pkce_then_the_command_line_runs_unattended(emulator, api_portal, client_env, monkeypatch):
    import socket

    import requests
    from gateway_client.login import load_login, native_login

    from tests.emulator.helpers import run_browser

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    added = emulator.control_post("redirect-uris", {"uri": f"http://127.0.0.1:{port}/", "client": "native"})
    assert added.status_code == 200, added.text
    monkeypatch.setenv("GATEWAY_CLIENT_CONFIG_DIR", client_env["GATEWAY_CLIENT_CONFIG_DIR"])
    monkeypatch.setenv("GATEWAY_CLIENT_NO_KEYRING", "1")

    def browser(url: str) -> None:  # the user's browser: log in and consent, then follow the redirect home
        assert "code_challenge=" in url and "code_challenge_method=S256" in url
        landed = run_browser(emulator, url, "bob")
        assert requests.get(landed.redirect_url, timeout=30).status_code == 200

    native_id = emulator.client("native")["client_id"]
    path = native_login(api_portal.base_url, native_id, port=port, open_browser=browser, show=lambda text: None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cached = load_login("default")
    assert cached["client_id"] == native_id and cached["confidential"] is False and cached["refresh_token"]
    # Later, unattended: no browser, no secret in the environment; an expired token is refreshed.
    path.write_text(json.dumps({**json.loads(path.read_text()), "expires_at": 1}))
    unattended = {k: v for k, v in client_env.items() if k not in ("GATEWAY_CLIENT_ID", "GATEWAY_CLIENT_SECRET")}
    me = answer(cli(unattended, "whoami"))
    assert me["username"] == "bob@example.edu" and me["client_id"] == native_id
