"""10,000 automation schedules: the time to claim one minute's due runs and queue them, and memory.

Builds a migrated portal database (SQLite in a temporary folder, or PostgreSQL with
--database-url), one user, N automations (daily at 03:30 in a mix of zones, so a share of them is
due in the same minute), then measures, for several shares due at once:

  claim       automation_runs.claim_due in batches (the SQL claim, the run and step rows, the
              next due time of each) until nothing is due
  enqueue     advance_run_job into the Huey queue (SQLite storage in the instance folder)
  rss         the process's peak resident memory after the round (flat: claims go in batches of 500)

No upstream call is made (queued jobs are not run). Prints a table.

    .venv/bin/python benchmarks/schedule_bench.py [--schedules 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup(database_url: str | None, folder: Path):
    import flask_migrate

    from app import create_app, resources
    from app.security.token_cipher import generate_key_line

    overrides = {
        "GATEWAY_ENV": "test",
        "GATEWAY_INSTANCE_DIR": str(folder / "instance"),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        "SESSION_BACKEND": "sqlalchemy",
        "TOKEN_ENCRYPTION_KEYS": generate_key_line("bench"),
        "GLOBUS_CLIENT_ID": "bench",
        "GLOBUS_CLIENT_SECRET": "bench",
        "QUEUE_BACKEND": "sqlite",
    }
    app = create_app(overrides)
    with app.app_context():
        flask_migrate.upgrade(directory=str(resources.migrations_dir()))
    return app


def _fill(app, count: int, due_share: float, now: datetime) -> None:
    from sqlalchemy import delete, insert

    from app.extensions import db
    from app.models import User
    from app.models.automation import Automation, AutomationRun

    with app.app_context():
        db.session.execute(delete(AutomationRun))
        db.session.execute(delete(Automation))
        user = db.session.query(User).first()
        if user is None:
            user = User(primary_identity_id="00000000-0000-0000-0000-00000000bench", username="bench@example.edu")
            db.session.add(user)
            db.session.flush()
        due_count = int(count * due_share)
        rows = [
            {
                "user_id": user.id,
                "name": f"sync {n}",
                "kind": "sync",
                "source_collection_id": "00000000-0000-0000-0000-000000000001",
                "source_path": f"/~/instrument/{n}/",
                "destination_collection_id": "00000000-0000-0000-0000-000000000002",
                "destination_path": f"/~/archive/{n}/",
                "transfer_options": {"sync_level": "checksum", "verify_checksum": True},
                "label_template": "{name} {date}",
                "follow_ups": [{"type": "ingest"}] if n % 3 == 0 else [],
                "schedule_preset": "daily",
                "schedule_fields": {"at": "03:30"},
                "cron": "30 3 * * *",
                "timezone": ZONES[n % len(ZONES)],
                "status": "active",
                "paused_for_tokens": False,
                "next_run_at": now - timedelta(seconds=30) if n < due_count else now + timedelta(hours=1 + n % 20),
                "runs_count": 0,
                "claim_version": 0,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ]
        for start in range(0, len(rows), 1000):
            db.session.execute(insert(Automation), rows[start : start + 1000])
        db.session.commit()
        db.session.remove()


def _round(app, now: datetime) -> tuple[int, float, float]:
    import importlib

    from app.extensions import db
    from app.services import automation_runs
    from app.unit_of_work import unit_of_work
    from app.worker.jobs.automations import advance_run_job
    from app.worker.queue import enqueue_after_commit

    importlib.import_module("app.worker.jobs")  # registers the jobs
    started: list[int] = []
    begin = time.perf_counter()
    with app.app_context():
        while True:
            batch = automation_runs.claim_due(now)
            if not batch:
                break
            started.extend(batch)
        claimed = time.perf_counter()
        with unit_of_work():
            for run_id in started:
                enqueue_after_commit(advance_run_job, run_id)
        db.session.remove()
    enqueued = time.perf_counter()
    return len(started), claimed - begin, enqueued - claimed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    now = datetime(2026, 6, 1, 3, 30, 30)
    with tempfile.TemporaryDirectory() as tmp:
        app = _setup(args.database_url, Path(tmp))
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{args.schedules:,} schedules on {backend}; one minute's due runs claimed and queued\n")
        print(f"{'due this minute':>16} {'runs':>6} {'claim s':>8} {'enqueue s':>10} {'runs/s':>8} {'rss MB':>7}")
        for share in (0.01, 0.1, 1.0):
            _fill(app, args.schedules, share, now)
            runs, claim_s, enqueue_s = _round(app, now)
            rate = runs / (claim_s + enqueue_s) if runs else 0
            print(f"{share:>15.0%} {runs:>6} {claim_s:>8.2f} {enqueue_s:>10.2f} {rate:>8.0f} {_rss_mb():>7.0f}")


if __name__ == "__main__":
    main()
