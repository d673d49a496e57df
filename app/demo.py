"""`gateway demo`: the emulator, the portal and the worker as child processes, and a local mailbox.

The mailbox is a real SMTP server (aiosmtpd, app/demo_mail.py) in this process: what the gateway
emails (notifications) lands as .eml files in instance/mail/, where the banner says to read them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import requests

from app.demo_mail import LocalMailbox
from app.settings import default_instance_dir

STARTUP_TIMEOUT = 120


class _StopRequested(Exception):
    """SIGTERM or SIGHUP arrived: stop the children as Ctrl-C would."""


def _request_stop(signum, _frame) -> None:  # noqa: ANN001 - signal handler signature
    raise _StopRequested(signal.Signals(signum).name)


def run_demo(
    *,
    port: int,
    emulator_port: int,
    reset: bool,
    with_worker: bool,
    instance: Path | None = None,
    smtp_port: int = 0,
) -> None:
    """Start everything, print where to go and how to log in, and stop it all on Ctrl-C or SIGTERM."""
    # A service manager or a terminal closing sends SIGTERM/SIGHUP, not Ctrl-C: without these the
    # children (emulator, portal) would outlive the demo and keep its ports.
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGHUP, _request_stop)
    instance = (instance or default_instance_dir()).resolve()
    emulator_dir = instance / "emulator"
    manifest_path = emulator_dir / "emulator.json"
    manifest_path.unlink(missing_ok=True)
    portal_url = f"http://127.0.0.1:{port}"
    children: list[subprocess.Popen] = []
    mailbox = LocalMailbox(instance / "mail", port=smtp_port)
    env = {
        **os.environ,
        "GATEWAY_ENV": os.environ.get("GATEWAY_ENV", "development"),
        "GATEWAY_EMULATOR_MANIFEST": str(manifest_path),
        "GATEWAY_INSTANCE_DIR": str(instance),
        "SMTP_URL": mailbox.url,
        "MAIL_FROM": "Science Gateway demo <gateway@demo.localhost>",
        "GATEWAY_PUBLIC_URL": portal_url,
    }
    try:
        mailbox.start()
        emulator_command = [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            str(emulator_port),
            "--instance",
            str(emulator_dir),
            "--redirect-uri",
            f"{portal_url}/auth/callback",
        ]
        children.append(_start(emulator_command + (["--reset"] if reset else []), os.environ.copy()))
        manifest = _wait_for_manifest(manifest_path, children[0])
        # The portal's session secret and token key file are generated (0600) in instance/ here.
        subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], env=env, check=True)
        children.append(_start([sys.executable, "-m", "app.cli", "run", "--port", str(port)], env))
        if with_worker:
            children.append(_start([sys.executable, "-m", "app.cli", "worker"], env))
        _wait_for_http(portal_url + "/", children[1])
        _print_banner(portal_url, manifest, mailbox if with_worker else None)
        _wait_while_running(children)
    except (KeyboardInterrupt, _StopRequested):
        click.echo("\nstopping the demo")
    except subprocess.CalledProcessError as exc:
        raise click.ClickException(f"`{' '.join(exc.cmd[2:])}` failed with exit code {exc.returncode}") from None
    finally:
        # A second signal must not interrupt the clean-up half way.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        _stop(children)
        mailbox.stop()


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(command, env=env)


def _wait_for_manifest(path: Path, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not path.exists():
        if process.poll() is not None:
            raise click.ClickException(f"the emulator exited with code {process.returncode} (is its port free?)")
        if time.monotonic() > deadline:
            raise click.ClickException(f"the emulator did not write {path} within {STARTUP_TIMEOUT} s")
        time.sleep(0.1)
    return json.loads(path.read_text())


def _wait_for_http(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            raise click.ClickException(f"the portal exited with code {process.returncode} (is its port free?)")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise click.ClickException(f"the portal did not answer at {url} within {STARTUP_TIMEOUT} s") from None
            time.sleep(0.2)


def _print_banner(portal_url: str, manifest: dict, mailbox: LocalMailbox | None) -> None:
    click.echo("")
    click.secho(f"Science Gateway demo is running: {portal_url}/", bold=True)
    click.echo(f"Globus emulator: {manifest['base_url']}/")
    click.echo("Demo logins:")
    for user in manifest.get("users", []):
        role = f" ({user['role']})" if user.get("role") else ""
        click.echo(f"  {user['username']:<22} password: {user['password']}{role}")
    if mailbox is not None:
        click.echo(
            f"Background worker: running (task watching, notifications); queue {mailbox.folder.parent}/worker-queue.sqlite3"
        )
        click.echo(f"Emails the gateway sends: {mailbox.folder}/*.eml (SMTP server {mailbox.url})")
    click.echo("Press Ctrl-C to stop.")


def _wait_while_running(children: list[subprocess.Popen[bytes]]) -> None:
    while True:
        for child in children:
            if child.poll() is not None:
                command = " ".join(str(word) for word in list(child.args)[2:])  # type: ignore[arg-type]
                raise click.ClickException(f"`{command}` exited with code {child.returncode}")
        time.sleep(0.5)


def _stop(children: list[subprocess.Popen]) -> None:
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    for child in reversed(children):
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)
