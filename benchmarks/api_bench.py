"""The JSON API's overhead over the same upstream calls made directly with globus-sdk, on loopback.

Starts the emulator and the gateway (in this process, on a threaded werkzeug server, so the
introspection calls can be counted), logs Alice in at the partner portal client for the
gateway_api scope, then measures:

  direct       TransferClient.task_list(limit=25) with a dependent Transfer token (what /tasks costs upstream)
  api warm     GET /api/v1/tasks with the introspection and dependent-token caches warm
  api cold     the same with both caches emptied before every call (introspect + dependent-token grant + call)
  me warm      GET /api/v1/me (no upstream call at all: authentication and the framework only)

p50/p99 latency per case with one caller, then the number of introspection calls made for
1,000 requests of one caller (aim: <= 1 per 30 s), then throughput of GET /api/v1/tasks with
20 concurrent callers (20 different users' tokens would need 20 logins: the callers share
Alice's token, so this measures the API path, not the per-identity rate limit, which is lifted).

    .venv/bin/python benchmarks/api_bench.py [--calls 200] [--threads 20] [--seconds 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import globus_sdk
import requests
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from app import create_app  # noqa: E402 - needs the repo on sys.path
from app.security.token_cipher import generate_key_line  # noqa: E402
from app.services import api_caches  # noqa: E402
from app.services.globus import introspection  # noqa: E402
from benchmarks.load import drive  # noqa: E402
from benchmarks.portal_bench import start_emulator  # noqa: E402
from tests.emulator.helpers import run_browser  # noqa: E402

CALLBACK = "http://127.0.0.1:9/bench/callback"


def timed(calls: int, call: Callable[[], None], before: Callable[[], None] = lambda: None) -> list[float]:
    """Latencies (ms) of `calls` sequential calls, `before` run outside the timing."""
    out = []
    for _ in range(calls):
        before()
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def row(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"| {name:<12} | {statistics.median(ordered):8.2f} | {p99:8.2f} | {len(ordered):5d} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="api-bench-"))
    emulator_process, emulator = start_emulator(workdir, big_folder=0)
    server = None
    try:
        app = create_app(
            {
                "GATEWAY_ENV": "test",
                "GATEWAY_INSTANCE_DIR": str(workdir / "portal"),
                "DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
                "TOKEN_ENCRYPTION_KEYS": generate_key_line("bench"),
                "GATEWAY_EMULATOR_MANIFEST": str(workdir / "emulator" / "emulator.json"),
                "API_RATE_LIMITS_ENABLED": "false",
                "LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            import flask_migrate

            flask_migrate.upgrade(directory=str(REPO_ROOT / "migrations"))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        api = f"http://127.0.0.1:{server.server_port}/api/v1"

        emulator.control("redirect-uris", {"uri": CALLBACK, "client": "partner"})
        partner, portal = emulator.client("partner"), emulator.client("portal")
        auth = globus_sdk.ConfidentialAppAuthClient(
            partner["client_id"], partner["client_secret"], base_url=emulator.services["auth"]
        )
        auth.oauth2_start_flow(CALLBACK, requested_scopes=portal["api_scope"])
        code = run_browser(emulator, auth.oauth2_get_authorize_url(), "alice").params["code"]
        token = auth.oauth2_exchange_code_for_tokens(code).by_resource_server[portal["client_id"]]["access_token"]
        portal_auth = globus_sdk.ConfidentialAppAuthClient(
            portal["client_id"], portal["client_secret"], base_url=emulator.services["auth"]
        )
        dependent = portal_auth.oauth2_get_dependent_tokens(token).by_resource_server["transfer.api.globus.org"]
        transfer = globus_sdk.TransferClient(
            authorizer=globus_sdk.AccessTokenAuthorizer(dependent["access_token"]),
            base_url=emulator.services["transfer"],
        )
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"

        def api_tasks() -> None:
            assert http.get(f"{api}/tasks", timeout=60).status_code == 200

        def api_me() -> None:
            assert http.get(f"{api}/me", timeout=60).status_code == 200

        def cold() -> None:
            api_caches.introspections.clear()
            api_caches.dependent_tokens.clear()

        for _ in range(20):  # warm up both sides (connections, first-use user row)
            transfer.task_list(limit=25)
            api_tasks()
        results = [
            row("direct", timed(args.calls, lambda: transfer.task_list(limit=25, orderby="request_time DESC"))),
            row("api warm", timed(args.calls, api_tasks)),
            row("api cold", timed(args.calls, api_tasks, before=cold)),
            row("me warm", timed(args.calls, api_me)),
        ]
        print("\nOne caller, sequential (ms):\n")
        print("| case         |      p50 |      p99 | calls |\n|---|---|---|---|")
        print("\n".join(results))

        counted = []
        real = introspection.introspect
        introspection.introspect = lambda settings, raw: counted.append(1) or real(settings, raw)  # type: ignore[assignment]
        cold()
        started = time.perf_counter()
        for _ in range(1000):
            api_me()
        elapsed = time.perf_counter() - started
        introspection.introspect = real  # type: ignore[assignment]
        print(
            f"\nIntrospection calls for 1,000 requests of one caller: {len(counted)} in {elapsed:.1f} s "
            f"(the 30 s cache allows {int(elapsed // 30) + 1})"
        )

        def make_caller() -> Callable[[], bool]:
            own = requests.Session()
            own.headers["Authorization"] = f"Bearer {token}"
            return lambda: own.get(f"{api}/tasks", timeout=60).status_code == 200

        latencies, errors = drive(args.threads, args.seconds, make_caller)
        ordered = sorted(latencies)
        print(
            f"\n{args.threads} concurrent callers, GET /api/v1/tasks for {args.seconds:.0f} s: "
            f"{len(latencies) / args.seconds:.0f} requests/s, p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"p99 {ordered[int(len(ordered) * 0.99)] * 1000:.1f} ms, {errors} errors"
        )
    finally:
        if server is not None:
            server.shutdown()
        emulator_process.terminate()
        emulator_process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
