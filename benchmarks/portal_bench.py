"""Portal page latency next to the upstream Globus calls each page makes, under gunicorn, on loopback.

Starts the emulator (with the 100,000-entry folder) and the portal under gunicorn (config/gunicorn.conf.py)
in a temporary folder, logs Alice in over HTTP by following the emulator's real login form, and for
each page runs N client threads for a fixed time:

  portal   GET the page through the portal (a logged-in browser session per thread)
  direct   the same upstream calls made directly with globus-sdk (a TransferClient per thread)

It prints p50/p99 latency and requests/s for both, the ratio portal/direct (aim: <= 1.2), the ratio
of the 100,000-entry folder's first page to a 100-entry folder (aim: <= 1.5), and the RSS of the
gunicorn master and workers before and after the run (memory should stay flat). Loopback only;
bounded: about pages x (2 x --seconds + 1.5 s warm-up) plus start-up (about two minutes by default).

    .venv/bin/python benchmarks/portal_bench.py [--threads 4] [--seconds 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import globus_sdk
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from app.security.token_cipher import generate_key_line  # noqa: E402 - needs the repo on sys.path
from benchmarks.emulator_manifest import EmulatorInfo  # noqa: E402 - needs the repo on sys.path
from benchmarks.load import drive  # noqa: E402
from benchmarks.processes import stop_all  # noqa: E402
from tests.emulator.helpers import login_user_tokens, run_browser  # noqa: E402

START_TIMEOUT = 300
BIG_ENTRIES = 100_000
TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"
LISTING_ORDER = ["type ASC", "name ASC"]
WARM_UP_SECONDS = 1.5


@dataclass
class Measured:
    """Latencies (seconds) and failures of one case for one client kind."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], bool], what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"{what} did not start; see {log}")
        time.sleep(0.2)


def start_emulator(workdir: Path, big_folder: int = BIG_ENTRIES) -> tuple[subprocess.Popen, EmulatorInfo]:
    """The emulator on a free loopback port, its 100,000-entry folder (or `big_folder`) created at start."""
    instance = workdir / "emulator"
    log_path = workdir / "emulator.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "--port",
                "0",
                "--instance",
                str(instance),
                "--big-folder",
                str(big_folder),
                "--access-token-lifetime",
                "7200",
            ],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    manifest = instance / "emulator.json"
    wait_for(manifest.exists, "the emulator", process, log_path)
    return process, EmulatorInfo(json.loads(manifest.read_text()))


def portal_environment(workdir: Path, emulator: EmulatorInfo, port: int, workers: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in [n for n in env if n.startswith(("GLOBUS_", "GATEWAY_", "GUNICORN_")) or n in ("DATABASE_URL",)]:
        env.pop(name)
    env.update(
        {
            "GATEWAY_ENV": "development",
            "GATEWAY_INSTANCE_DIR": str(workdir / "portal"),
            "GATEWAY_EMULATOR_MANIFEST": str(workdir / "emulator" / "emulator.json"),
            "DATABASE_URL": f"sqlite:///{workdir / 'portal' / 'portal.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "TOKEN_ENCRYPTION_KEYS": generate_key_line("bench1"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def start_portal(workdir: Path, emulator: EmulatorInfo, workers: int) -> tuple[subprocess.Popen, str]:
    """Migrate the portal's database, then serve it with gunicorn and the project's config."""
    port = free_port()
    env = portal_environment(workdir, emulator, port, workers)
    (workdir / "portal").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "db", "upgrade"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    emulator.control("redirect-uris", {"uri": f"{base_url}/auth/callback"}).raise_for_status()
    log_path = workdir / "gunicorn.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "config" / "gunicorn.conf.py"), "wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def answering() -> bool:
        try:
            return requests.get(base_url + "/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answering, "gunicorn", process, log_path)
    return process, base_url


def portal_login(base_url: str, emulator: EmulatorInfo, username: str) -> requests.Session:
    """A browser session logged in through the portal's real login (emulator login form + consent)."""
    browser = requests.Session()
    start = browser.get(f"{base_url}/login", allow_redirects=False, timeout=30)
    result = run_browser(emulator, start.headers["Location"], username, browser=browser)
    done = browser.get(result.redirect_url, allow_redirects=False, timeout=30)
    if done.status_code != 302:
        raise SystemExit(f"portal login failed: {done.status_code} {done.text[:300]}")
    return browser


def write_folder(emulator: EmulatorInfo, collection: dict[str, Any], name: str, entries: int) -> str:
    """A folder of `entries` small files written straight into the emulator's data root."""
    folder = Path(collection["data_root"]) / name
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(entries):
        (folder / f"sample_{index:05d}.dat").write_bytes(b"x" * (index % 97))
    return f"/~/{name}/"


def finished_task(base_url: str, browser: requests.Session, source: str, destination: str) -> str:
    """One small transfer submitted through the portal's batch form, waited for."""
    form = browser.get(f"{base_url}/transfers/batch", timeout=30).text
    marker = 'name="form_token" value="'
    token = form[form.index(marker) + len(marker) :].split('"', 1)[0]
    marker = 'name="csrf_token" value="'
    csrf = form[form.index(marker) + len(marker) :].split('"', 1)[0]
    answer = browser.post(
        f"{base_url}/transfers/batch",
        data={
            "csrf_token": csrf,
            "form_token": token,
            "source": source,
            "destination": destination,
            "source_path": "/~/",
            "destination_path": "/~/bench-copy/",
            "batch": "README.txt README.txt\n",
            "label": "benchmark copy",
            "verify_checksum": "on",
        },
        allow_redirects=False,
        timeout=60,
    )
    task_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 60
    while not browser.get(f"{base_url}/tasks/{task_id}/progress", timeout=30).json()["is_done"]:
        if time.monotonic() > deadline:
            raise SystemExit("the benchmark's transfer did not finish")
        time.sleep(0.3)
    return task_id


def run_case(threads: int, seconds: float, make_call: Callable[[], Callable[[], bool]]) -> Measured:
    """`threads` workers calling for `seconds` (each with its own session or client)."""
    result = Measured(seconds)
    result.latencies, result.errors = drive(threads, seconds, make_call)
    return result


def page_calls(base_url: str, cookies: Any, path: str) -> Callable[[], Callable[[], bool]]:
    """Factory of portal page requests, one keep-alive browser session per thread."""

    def make() -> Callable[[], bool]:
        session = requests.Session()
        session.cookies.update(cookies)
        url = urljoin(base_url + "/", path.lstrip("/"))

        def call() -> bool:
            try:
                response = session.get(url, timeout=60, allow_redirects=False)
            except requests.RequestException:
                return False
            return response.status_code == 200

        return call

    return make


def sdk_calls(
    build: Callable[[], globus_sdk.TransferClient], use: Callable[[globus_sdk.TransferClient], Any] | None
) -> Callable[[], Callable[[], bool]] | None:
    """Factory of direct SDK calls, one TransferClient (one connection) per thread."""
    if use is None:
        return None

    def make() -> Callable[[], bool]:
        client = build()

        def call() -> bool:
            try:
                use(client)
            except globus_sdk.GlobusError:
                return False
            return True

        return call

    return make


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return 0
    return 0


def gunicorn_processes(master: int) -> dict[str, int]:
    """The master and its worker processes (children on /proc), by a readable name."""
    found = {"master": master}
    workers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == master:
                workers.append(int(entry.name))
    for number, pid in enumerate(sorted(workers), start=1):
        found[f"worker {number}"] = pid
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=4, help="client threads per case")
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each case and client kind")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args()
    args.seconds = min(max(args.seconds, 0.5), 30.0)
    args.threads = min(max(args.threads, 1), 16)

    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        emulator_process, emulator = start_emulator(workdir)
        processes.append(emulator_process)
        portal_process, base_url = start_portal(workdir, emulator, args.workers)
        processes.append(portal_process)
        lab = emulator.collection("Lab Archive")
        shared = emulator.collection("Cryo-EM Shared Data")
        folder_1000 = write_folder(emulator, lab, "bench-1000", 1000)
        folder_100 = write_folder(emulator, lab, "bench-100", 100)
        big = emulator.manifest["big_folder"]["path"]

        browser = portal_login(base_url, emulator, "alice")
        task_id = finished_task(base_url, browser, shared["id"], lab["id"])
        token = login_user_tokens(emulator, "alice", [TRANSFER_SCOPE])["transfer.api.globus.org"]["access_token"]

        def build() -> globus_sdk.TransferClient:
            return globus_sdk.TransferClient(
                base_url=emulator.services["transfer"], authorizer=globus_sdk.AccessTokenAuthorizer(token)
            )

        def listing(path: str, limit: int) -> Callable[[globus_sdk.TransferClient], Any]:
            return lambda tc: tc.operation_ls(
                lab["id"], path=path, limit=limit, offset=0, orderby=LISTING_ORDER, show_hidden=False
            )

        lab_id = lab["id"]
        cases: list[tuple[str, str, Callable[[globus_sdk.TransferClient], Any] | None, str]] = [
            ("dashboard", "/", None, "none (database only)"),
            (
                "listing, 1,000 entries",
                f"/browse/{lab_id}?path={folder_1000}&per_page=1000",
                listing(folder_1000, 1000),
                "ls limit=1000",
            ),
            ("listing, 100 entries", f"/browse/{lab_id}?path={folder_100}", listing(folder_100, 100), "ls limit=100"),
            ("100,000 folder, first page", f"/browse/{lab_id}?path={big}", listing(big, 100), "ls limit=100"),
            (
                "task list",
                "/tasks/",
                lambda tc: tc.task_list(limit=25, offset=0, orderby="request_time DESC"),
                "task_list limit=25",
            ),
            (
                "task page",
                f"/tasks/{task_id}",
                lambda tc: (tc.get_task(task_id), tc.task_event_list(task_id, limit=20, offset=0)),
                "get_task + event_list",
            ),
        ]
        # Warm up with the same concurrency, so every worker has compiled its templates, filled its
        # caches and grown its heap to a page's size before memory is first measured.
        for _, path, _, _ in cases:
            run_case(args.threads, WARM_UP_SECONDS, page_calls(base_url, browser.cookies, path))

        before = {name: rss_kib(pid) for name, pid in gunicorn_processes(portal_process.pid).items()}
        rows = []
        checkpoints: list[float] = []
        results: dict[str, tuple[Measured, Measured | None]] = {}
        for name, path, use, upstream in cases:
            portal = run_case(args.threads, args.seconds, page_calls(base_url, browser.cookies, path))
            direct_factory = sdk_calls(build, use)
            direct = run_case(args.threads, args.seconds, direct_factory) if direct_factory else None
            results[name] = (portal, direct)
            checkpoints.append(
                sum(rss_kib(pid) for label, pid in gunicorn_processes(portal_process.pid).items() if label != "master")
                / 1024
            )
            ratio = f"{portal.p50 / direct.p50:.2f}" if direct else "—"
            added = f"{portal.p50 - direct.p50:+.1f}" if direct else f"{portal.p50:+.1f}"
            direct_cells = (
                f"{direct.p50:.1f} | {direct.percentile(0.99):.1f} | {direct.rate:.0f}" if direct else "— | — | —"
            )
            rows.append(
                f"| {name} | {upstream} | {portal.p50:.1f} | {portal.percentile(0.99):.1f} | "
                f"{portal.rate:.0f} | {portal.errors} | {direct_cells} | {ratio} | {added} |"
            )
        after = {name: rss_kib(pid) for name, pid in gunicorn_processes(portal_process.pid).items()}

        print(
            f"\nPortal under gunicorn ({args.workers} workers x gthread), {args.threads} client threads, "
            f"{args.seconds:g} s per case, loopback. Latency in ms.\n"
        )
        print(
            "| page | upstream calls | portal p50 | portal p99 | portal req/s | errors | direct p50 | "
            "direct p99 | direct req/s | p50 ratio | added ms |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(rows))
        print(
            "\n`added ms` is the portal's own share of a page (portal p50 − direct p50); the dashboard, which "
            "makes no upstream call, shows the fixed cost of any logged-in request (session, login check, "
            "rendering)."
        )
        big_direct = results["100,000 folder, first page"][1]
        small_direct = results["listing, 100 entries"][1]
        if big_direct and small_direct:
            print(
                f"Upstream alone: the 100,000-entry first page costs {big_direct.p50:.1f} ms vs "
                f"{small_direct.p50:.1f} ms for a 100-entry folder ({big_direct.p50 / small_direct.p50:.1f}x)."
            )
        big_page = results["100,000 folder, first page"][0].p50
        small_page = results["listing, 100 entries"][0].p50
        print(
            f"\n100,000-entry folder first page vs 100-entry folder (portal p50): "
            f"{big_page:.1f} / {small_page:.1f} ms = {big_page / small_page:.2f}x (aim <= 1.5x)"
        )
        print("\n| process | RSS before (MiB) | RSS after (MiB) | change |")
        print("|---|---|---|---|")
        for name in sorted(set(before) | set(after)):
            old, new = before.get(name, 0) / 1024, after.get(name, 0) / 1024
            print(f"| gunicorn {name} | {old:.1f} | {new:.1f} | {new - old:+.1f} |")
        print("\nWorkers' total RSS (MiB) after each page's run: " + ", ".join(f"{value:.1f}" for value in checkpoints))
    finally:
        stop_all(processes)
        if args.keep:
            print(f"\nlogs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
