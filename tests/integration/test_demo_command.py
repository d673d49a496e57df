"""`gateway demo` as a newcomer runs it: everything starts, logins are printed, SIGTERM stops it all."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.waiting import wait_until

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def test_demo_starts_prints_logins_and_stops_every_child_on_sigterm(tmp_path):
    portal_port, emulator_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "DATABASE_URL", "SESSION_BACKEND"))}
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "demo",
            "--port",
            str(portal_port),
            "--emulator-port",
            str(emulator_port),
            "--instance",
            str(tmp_path / "instance"),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(demo.stdout, lines), daemon=True).start()
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any("Press Ctrl-C to stop." in line for line in output):
            assert demo.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "demo did not start:\n" + "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        text = "".join(output)
        assert f"http://127.0.0.1:{portal_port}/" in text
        assert "alice@example.edu" in text and "alice-demo-password" in text

        login = requests.get(f"http://127.0.0.1:{portal_port}/login", allow_redirects=False, timeout=10)
        assert login.status_code == 302
        assert login.headers["Location"].startswith(f"http://127.0.0.1:{emulator_port}/auth/v2/oauth2/authorize?")

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) is not None
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)
    # The demo has exited; its children may take a moment longer to let go of their ports.
    wait_until(lambda: not _accepts_connections(portal_port), 20, "the portal outlived the demo")
    wait_until(lambda: not _accepts_connections(emulator_port), 20, "the emulator outlived the demo")
