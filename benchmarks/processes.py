"""The servers a benchmark starts (emulator, gunicorn, a peer portal), stopped the same way by all."""

from __future__ import annotations

import subprocess


def stop_all(processes: list[subprocess.Popen]) -> None:
    """Terminate the started processes, newest first; kill any still running after 20 s."""
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
