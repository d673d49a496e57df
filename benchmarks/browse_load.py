"""Simulated users browsing the portal under gunicorn for a while: latency percentiles, errors, worker memory.

Starts the emulator and the portal under gunicorn (config/gunicorn.conf.py, 2 gthread workers by
default), logs N browser sessions in through the real login (alice and bob alternately), gives each
user a 100-file folder and a finished task of their own, then lets every user click for --seconds:
a random page (folder listing 35 %, task page 20 %, task list 15 %, dashboard 15 %, the progress
JSON 15 %), a think time of 1-3 s (uniform, seeded) between clicks, each user on its own keep-alive
connection. Prints p50/p95/p99/max per page and overall, the error count (any status but 200 or
a network error), and the gunicorn workers' RSS after a warm-up and at the end. Loopback only;
bounded by --seconds (at most 900) plus start-up.

    .venv/bin/python benchmarks/browse_load.py [--users 50] [--seconds 300] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.portal_bench import (  # noqa: E402 - needs the repo on sys.path
    finished_task,
    gunicorn_processes,
    portal_login,
    rss_kib,
    start_emulator,
    start_portal,
    write_folder,
)
from benchmarks.processes import stop_all  # noqa: E402 - needs the repo on sys.path

PAGE_WEIGHTS = {"listing": 35, "task page": 20, "task list": 15, "dashboard": 15, "progress": 15}
THINK_SECONDS = (1.0, 3.0)
WARM_UP_SECONDS = 20.0
USERS = ("alice", "bob")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else float("nan")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes so far (from /proc; 0 for a process that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def workers_rss_mib(master: int) -> float:
    return sum(rss_kib(pid) for name, pid in gunicorn_processes(master).items() if name != "master") / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users (browser sessions)")
    parser.add_argument("--seconds", type=float, default=300.0, help="how long they browse")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=8, help="seed of the clicks and think times")
    args = parser.parse_args()
    users = min(max(args.users, 1), 200)
    seconds = min(max(args.seconds, 10.0), 900.0)

    workdir = Path(tempfile.mkdtemp(prefix="browse-load-"))
    processes: list[subprocess.Popen] = []
    try:
        emulator_process, emulator = start_emulator(workdir, big_folder=0)
        processes.append(emulator_process)
        portal_process, base_url = start_portal(workdir, emulator, args.workers)
        processes.append(portal_process)
        lab = emulator.collection("Lab Archive")
        shared = emulator.collection("Cryo-EM Shared Data")
        folder = write_folder(emulator, lab, "load-100", 100)
        pages_of: dict[str, dict[str, str]] = {}
        for name in USERS:
            browser = portal_login(base_url, emulator, name)
            task_id = finished_task(base_url, browser, shared["id"], lab["id"])
            pages_of[name] = {
                "listing": f"{base_url}/browse/{lab['id']}?path={folder}",
                "task page": f"{base_url}/tasks/{task_id}",
                "task list": f"{base_url}/tasks/",
                "dashboard": f"{base_url}/",
                "progress": f"{base_url}/tasks/{task_id}/progress",
            }
        sessions = []
        for number in range(users):
            name = USERS[number % len(USERS)]
            sessions.append((name, portal_login(base_url, emulator, name)))

        latencies: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        measuring = threading.Event()
        start_gate = threading.Barrier(users + 1)
        stop_at = [0.0]

        def browse(number: int, name: str, browser: requests.Session) -> None:
            chooser = random.Random(args.seed * 1000 + number)
            pages, weights = list(PAGE_WEIGHTS), list(PAGE_WEIGHTS.values())
            start_gate.wait()
            # Users start spread over one think time, as real ones do not all click at once.
            time.sleep(chooser.uniform(0, THINK_SECONDS[1]))
            while time.monotonic() < stop_at[0]:
                page = chooser.choices(pages, weights)[0]
                began = time.perf_counter()
                try:
                    ok = browser.get(pages_of[name][page], timeout=60, allow_redirects=False).status_code == 200
                except requests.RequestException:
                    ok = False
                elapsed = time.perf_counter() - began
                if measuring.is_set():
                    with lock:
                        latencies[page].append(elapsed)
                        if not ok:
                            errors[page] += 1
                time.sleep(chooser.uniform(*THINK_SECONDS))

        threads = [
            threading.Thread(target=browse, args=(number, name, browser), daemon=True)
            for number, (name, browser) in enumerate(sessions)
        ]
        for thread in threads:
            thread.start()
        stop_at[0] = time.monotonic() + WARM_UP_SECONDS + seconds
        start_gate.wait()
        time.sleep(WARM_UP_SECONDS)
        rss_before = workers_rss_mib(portal_process.pid)
        portal_pids = [pid for name, pid in gunicorn_processes(portal_process.pid).items() if name != "master"]
        cpu_before = cpu_seconds(portal_pids), cpu_seconds([emulator_process.pid])
        measuring.set()
        began = time.monotonic()
        for thread in threads:
            thread.join()
        measured = time.monotonic() - began
        rss_after = workers_rss_mib(portal_process.pid)
        portal_cpu = cpu_seconds(portal_pids) - cpu_before[0]
        emulator_cpu = cpu_seconds([emulator_process.pid]) - cpu_before[1]

        everything = [value for values in latencies.values() for value in values]
        total_errors = sum(errors.values())
        print(
            f"\n{users} users browsing for {seconds:g} s (after {WARM_UP_SECONDS:g} s warm-up), think time "
            f"{THINK_SECONDS[0]:g}-{THINK_SECONDS[1]:g} s, gunicorn {args.workers} workers x gthread, loopback. "
            "Latency in ms.\n"
        )
        print("| page | requests | errors | p50 | p95 | p99 | max |")
        print("|---|---|---|---|---|---|---|")
        for page in [*PAGE_WEIGHTS, "all"]:
            values = everything if page == "all" else latencies[page]
            failed = total_errors if page == "all" else errors[page]
            print(
                f"| {page} | {len(values)} | {failed} | {statistics.median(values) * 1000:.1f} | "
                f"{percentile(values, 0.95):.1f} | {percentile(values, 0.99):.1f} | {max(values) * 1000:.1f} |"
            )
        growth = (rss_after - rss_before) / rss_before * 100 if rss_before else float("nan")
        print(
            f"\n{len(everything) / measured:.1f} requests/s. Workers' total RSS: {rss_before:.1f} MiB after the "
            f"warm-up, {rss_after:.1f} MiB at the end ({growth:+.1f} %; aim < 10 %)."
        )
        count = max(len(everything), 1)
        print(
            f"CPU per request: portal workers {portal_cpu / count * 1000:.1f} ms, emulator "
            f"{emulator_cpu / count * 1000:.1f} ms (both on the same {os.cpu_count()} cores as the clients)."
        )
        one, five, fifteen = os.getloadavg()
        print(
            f"Load average (1/5/15 min) at the end: {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} "
            "cores (anything else running on the machine shows up here)."
        )
        print(
            f"Aims: p99 {percentile(everything, 0.99):.1f} ms (< 300), errors {total_errors} (0), "
            f"RSS growth {growth:+.1f} % (< 10 %)."
        )
    finally:
        stop_all(processes)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
