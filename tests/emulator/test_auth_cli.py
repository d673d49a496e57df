"""`python -m emulator` as a process: restart keeps secrets and keys, --reset reseeds, bad args fail."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import requests

from tests.conftest import REPO_ROOT, start_emulator, stop_emulator


def _kid(running) -> str:
    return requests.get(f"{running.manifest['issuer']}/jwk.json", timeout=30).json()["keys"][0]["kid"]


def test_restart_keeps_the_seed_and_reset_reseeds(tmp_path):
    instance = tmp_path / "instance"
    process, first = start_emulator(instance, "--redirect-uri", "http://127.0.0.1:6001/cb")
    try:
        assert first.manifest["clients"]["portal"]["redirect_uris"][-1] == "http://127.0.0.1:6001/cb"
        assert stat.S_IMODE((instance / "seed-secrets.json").stat().st_mode) == 0o600
        assert stat.S_IMODE((instance / "emulator-signing-key.pem").stat().st_mode) == 0o600
        assert requests.get(f"{first.base_url}/_emulator/health", timeout=30).json() == {"status": "ok"}
        first_kid = _kid(first)
    finally:
        stop_emulator(process)
    assert process.returncode == 0

    process, second = start_emulator(instance)
    try:
        assert second.manifest["clients"] == first.manifest["clients"]
        assert second.manifest["users"] == first.manifest["users"]
        assert _kid(second) == first_kid
    finally:
        stop_emulator(process)

    process, third = start_emulator(instance, "--reset")
    try:
        portal_before, portal_after = first.manifest["clients"]["portal"], third.manifest["clients"]["portal"]
        assert portal_after["client_id"] == portal_before["client_id"]
        assert portal_after["client_secret"] != portal_before["client_secret"]
        assert "http://127.0.0.1:6001/cb" not in portal_after["redirect_uris"]
        assert _kid(third) == first_kid
    finally:
        stop_emulator(process)


def test_bad_arguments_exit_with_usage(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--instance", str(tmp_path), "--fault-rate", "3"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--fault-rate" in result.stderr


def test_database_without_seed_files_asks_for_reset(tmp_path):
    instance = tmp_path / "instance"
    process, _running = start_emulator(instance)
    stop_emulator(process)
    (instance / "seed-manifest.json").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--instance", str(instance)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "--reset" in result.stderr
    assert json.loads((instance / "seed-secrets.json").read_text())["control"]
