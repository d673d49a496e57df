"""Shared root fixtures: one real emulator process per test session, and SDK environment wiring.

The emulator runs as `python -m emulator` on a free port in a temporary instance folder; tests
talk to it over real HTTP (through globus-sdk or requests), never in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parent.parent
# Fixture modules, one a line: portal_app/live_portal; the test users and logged-in clients.
pytest_plugins = [
    "tests.portal_fixtures",
    "tests.users",
    "tests.worker_fixtures",
    "tests.automation_fixtures",
]
STARTUP_TIMEOUT = 90


@dataclass
class RunningEmulator:
    """A started emulator: its manifest (emulator.json) and small helpers around it."""

    instance_dir: Path
    log_path: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT of this emulator."""
        return self.manifest["base_url"]

    @property
    def services(self) -> dict[str, str]:
        """SDK base URLs by service name (auth, transfer, search, https)."""
        return self.manifest["services"]

    @property
    def environment(self) -> dict[str, str]:
        """GLOBUS_SDK_SERVICE_URL_* variables pointing the SDK at this emulator."""
        return dict(self.manifest["environment"])

    def reload_manifest(self) -> dict[str, Any]:
        """Re-read emulator.json (the control API rewrites it, e.g. after adding a redirect URI)."""
        self.manifest = json.loads((self.instance_dir / "emulator.json").read_text())
        return self.manifest

    def user(self, username: str) -> dict[str, Any]:
        """A seeded user by username; 'alice' is short for 'alice@example.edu'."""
        wanted = username if "@" in username else f"{username}@example.edu"
        for user in self.manifest["users"]:
            if user["username"] == wanted:
                return user
        raise KeyError(f"no seeded user {username!r}")

    def client(self, name: str = "portal") -> dict[str, Any]:
        """A seeded OAuth client ('portal' or 'automation') with id and secret."""
        return self.manifest["clients"][name]

    def collection(self, slug: str) -> dict[str, Any]:
        """A seeded collection by its slug (ids are uuid5 of 'emulator:collection:<slug>')."""
        wanted = str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:collection:{slug}"))
        for collection in self.manifest.get("collections", []):
            if collection["id"] == wanted or collection.get("slug") == slug:
                return collection
        raise KeyError(f"no seeded collection {slug!r}")

    def _control_auth(self) -> tuple[str, str]:
        control = self.manifest["control"]
        return control["username"], control["password"]

    def control_post(self, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        """POST to the control API (`/_emulator/<path>`) with its Basic credentials."""
        url = f"{self.base_url}/_emulator/{path.lstrip('/')}"
        return requests.post(url, json=body or {}, auth=self._control_auth(), timeout=120)

    def control_get(self, path: str) -> requests.Response:
        """GET from the control API with its Basic credentials."""
        url = f"{self.base_url}/_emulator/{path.lstrip('/')}"
        return requests.get(url, auth=self._control_auth(), timeout=30)


def _log_tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"


def start_emulator(instance_dir: Path, *extra_args: str) -> tuple[subprocess.Popen, RunningEmulator]:
    """Start `python -m emulator` on a free port and wait until emulator.json is published."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    log_path = instance_dir.parent / f"{instance_dir.name}.log"
    manifest_path = instance_dir / "emulator.json"
    manifest_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "emulator", "--port", "0", "--instance", str(instance_dir), *extra_args]
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process below
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    log.close()

    def published() -> bool:
        if process.poll() is not None:
            pytest.fail(f"emulator exited with {process.returncode} during startup; log tail:\n{_log_tail(log_path)}")
        return manifest_path.exists()

    try:
        wait_until(published, STARTUP_TIMEOUT, "emulator.json")
    except AssertionError:
        stop_emulator(process)
        pytest.fail(f"emulator did not publish emulator.json in {STARTUP_TIMEOUT}s; log tail:\n{_log_tail(log_path)}")
    running = RunningEmulator(instance_dir=instance_dir, log_path=log_path)
    running.reload_manifest()
    return process, running


def stop_emulator(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it does not exit within 20 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> RunningEmulator:
    """One emulator for the whole test session (per xdist worker)."""
    instance = tmp_path_factory.mktemp("emulator") / "instance"
    process, running = start_emulator(instance, "--access-token-lifetime", "3600")
    yield running
    stop_emulator(process)
    if process.returncode not in (0, None):
        print(f"emulator exited with {process.returncode}; log tail:\n{_log_tail(running.log_path)}")


@pytest.fixture
def sdk_environment(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point globus-sdk clients constructed in this test at the emulator (read at construction)."""
    monkeypatch.delenv("GLOBUS_SDK_ENVIRONMENT", raising=False)
    for name, value in emulator.environment.items():
        monkeypatch.setenv(name, value)
    return emulator.environment
