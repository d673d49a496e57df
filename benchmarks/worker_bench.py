"""Task watching at scale: upstream calls, time, CPU and memory of one poll cycle.

Starts the emulator (loopback, throttled to 1 byte/s so every task stays ACTIVE), submits
--users x --tasks-per-user real transfer tasks as Alice (the emulator seeds four people; the
portal side has --users users, each holding Alice's tokens and owning --tasks-per-user of those
tasks), records them as the gateway's tracked tasks, all due, then runs the worker's poll cycle
--cycles times in this process: the minute tick's `due_users()` and one `poll_user_tasks` job
per user on a pool of --workers threads, exactly the code a `gateway worker --workers N` runs.
Prints a markdown table: users polled, Transfer calls, wall time, CPU seconds, RSS.

    .venv/bin/python benchmarks/worker_bench.py [--users 1000] [--tasks-per-user 10] [--workers 4]

The full size submits 10,000 tasks first (several minutes on 2 cores); --users 100 is quick.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import globus_sdk

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.emulator_bench import small_folder, start_emulator  # noqa: E402 - needs the repo on sys.path
from benchmarks.emulator_manifest import EmulatorInfo  # noqa: E402
from tests.emulator.helpers import login_user_tokens  # noqa: E402

SCOPES = ["openid", "urn:globus:auth:scope:transfer.api.globus.org:all"]
TRANSFER_RS = "transfer.api.globus.org"


def rss_mib() -> float:
    """This process's resident memory now (MiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def submit_tasks(manifest: dict[str, Any], token: str, count: int, threads: int) -> list[tuple[str, str]]:
    """Submit `count` one-file transfers as Alice; returns (task id, submission id) pairs."""
    source, folder = small_folder(manifest)
    destination = next(c["id"] for c in manifest["collections"] if c["display_name"] == "Alice Project Share")
    local = threading.local()

    def client() -> globus_sdk.TransferClient:
        if not hasattr(local, "client"):
            local.client = globus_sdk.TransferClient(
                base_url=manifest["services"]["transfer"], authorizer=globus_sdk.AccessTokenAuthorizer(token)
            )
        return local.client

    name = next(item["name"] for item in client().operation_ls(source, path=folder) if item["type"] == "file")

    def submit(number: int) -> tuple[str, str]:
        submission_id = str(client().get_submission_id()["value"])
        data = globus_sdk.TransferData(source, destination, label=f"bench {number}", submission_id=submission_id)
        data.add_item(f"{folder}{name}", f"/worker-bench/{number}/{name}")
        return str(client().submit_transfer(data)["task_id"]), submission_id

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(submit, range(count)))


def build_portal(instance: Path, manifest_path: Path, tokens: dict, users: int, tasks: list[tuple[str, str]]):
    """A migrated portal with `users` users holding Alice's tokens, each tracking its share of `tasks`."""
    import flask_migrate
    from sqlalchemy import insert

    from app import create_app, resources
    from app.extensions import db
    from app.models import User
    from app.models.timestamps import utcnow
    from app.models.tracked_task import TrackedTask, TransferSubmission
    from app.security.token_cipher import generate_key_line
    from app.services import token_records

    app = create_app(
        {
            "GATEWAY_ENV": "test",
            "GATEWAY_INSTANCE_DIR": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'portal.sqlite3'}",
            "TOKEN_ENCRYPTION_KEYS": generate_key_line("bench"),
            "GATEWAY_EMULATOR_MANIFEST": str(manifest_path),
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(resources.migrations_dir()))
        now = utcnow()
        db.session.execute(
            insert(User),
            [{"primary_identity_id": str(uuid.uuid4()), "username": f"bench{n}@example.edu"} for n in range(users)],
        )
        db.session.commit()
        user_ids = list(db.session.scalars(db.select(User.id).order_by(User.id)))
        data = tokens[TRANSFER_RS]
        for user_id in user_ids:
            token_records.save_token(
                user_id,
                TRANSFER_RS,
                scopes=data["scope"],
                expires_at=data["expires_at_seconds"],
                access_token=data["access_token"],
                refresh_token=data["refresh_token"],
            )
        submissions = [
            {
                "user_id": user_ids[n % users],
                "form_token": f"bench-{n:06d}-{uuid.uuid4().hex[:8]}",
                "submission_id": submission_id,
                "kind": "transfer",
                "document": {"kind": "transfer"},
                "task_id": task_id,
                "attempts": 1,
                "created_at": now,
            }
            for n, (task_id, submission_id) in enumerate(tasks)
        ]
        db.session.execute(insert(TransferSubmission), submissions)
        db.session.commit()
        ids = dict(db.session.execute(db.select(TransferSubmission.task_id, TransferSubmission.id)).all())
        db.session.execute(
            insert(TrackedTask),
            [
                {
                    "user_id": row["user_id"],
                    "task_id": row["task_id"],
                    "kind": "transfer",
                    "submission_id": ids[row["task_id"]],
                    "created_at": now,
                    "next_check_at": now,
                }
                for row in submissions
            ],
        )
        db.session.commit()
    return app


def poll_cycle(app, workers: int) -> dict[str, float]:
    """One cycle: due users, one poll job per user on `workers` threads; what it cost."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models.timestamps import utcnow
    from app.models.tracked_task import TrackedTask
    from app.services import task_watch
    from app.services.globus.call_observers import UpstreamCall, observe_calls
    from app.worker.jobs.task_watch import poll_user_tasks

    with app.app_context():
        # Every unfinished task due now, as after a long enough wait.
        db.session.execute(update(TrackedTask).where(TrackedTask.ended_at.is_(None)).values(next_check_at=utcnow()))
        db.session.commit()
    calls: list[UpstreamCall] = []
    lock = threading.Lock()

    def seen(call: UpstreamCall) -> None:
        with lock:
            calls.append(call)

    observe_calls(seen)
    wall, cpu = time.perf_counter(), time.process_time()
    with app.app_context():
        due = task_watch.due_users()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda user: poll_user_tasks.call_local(user[0]), due))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    transfer_calls = sum(1 for call in calls if call.service == "transfer")
    errors = sum(1 for call in calls if call.status is None or call.status >= 400)
    calls.clear()
    return {
        "users": len(due),
        "calls": transfer_calls,
        "errors": errors,
        "wall": wall,
        "cpu": cpu,
        "rss": rss_mib(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--tasks-per-user", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="poll threads (gateway worker --workers)")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--submit-threads", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="worker-bench-") as tmp:
        instance = Path(tmp) / "emulator"
        instance.mkdir()
        emulator, manifest = start_emulator(instance)
        try:
            # One byte a second per task: every task stays ACTIVE for the whole run.
            EmulatorInfo(manifest).control("settings", {"throughput": 1}).raise_for_status()
            tokens = login_user_tokens(EmulatorInfo(manifest), "alice", SCOPES, refresh_tokens=True)
            count = args.users * args.tasks_per_user
            started = time.perf_counter()
            tasks = submit_tasks(manifest, tokens[TRANSFER_RS]["access_token"], count, args.submit_threads)
            print(f"submitted {count} tasks in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            app = build_portal(Path(tmp) / "portal", instance / "emulator.json", tokens, args.users, tasks)
            from app.worker.context import bind_app

            bind_app(app)
            print(f"\n{count:,} active tasks across {args.users:,} users, {args.workers} poll threads\n")
            print("| cycle | users polled | Transfer calls | failed calls | cycle s | CPU s | RSS MiB |")
            print("|---|---|---|---|---|---|---|")
            for cycle in range(1, args.cycles + 1):
                result = poll_cycle(app, args.workers)
                print(
                    f"| {cycle} | {result['users']:,} | {result['calls']:,} | {result['errors']} | "
                    f"{result['wall']:.1f} | {result['cpu']:.1f} | {result['rss']:.0f} |"
                )
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
