"""Emulator throughput and latency: requests/s, p50 and p99 for the calls the portal makes most.

Starts `python -m emulator --port 0` in a temporary instance (loopback only), logs Alice in through
the real authorization-code flow, then for each case runs N threads for a fixed time, once with
plain `requests` keep-alive sessions and once with globus-sdk clients (one per thread), and prints
a markdown table. Bounded: about (cases x 2 x --seconds) plus start-up, ~30 s with the defaults.

    .venv/bin/python benchmarks/emulator_bench.py [--threads 4] [--seconds 2.5] [--extra-records N]

`--extra-records N` first ingests N synthetic public records (up to 10,000; about 1 ms each) to
see how the search rows hold up on a bigger index; that time is outside the ~30 s budget.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import globus_sdk
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.emulator_manifest import EmulatorInfo  # noqa: E402 - needs the repo on sys.path
from benchmarks.load import drive  # noqa: E402
from tests.emulator.helpers import login_user_tokens  # noqa: E402 - needs the repo on sys.path

SCOPES = ["urn:globus:auth:scope:transfer.api.globus.org:all", "urn:globus:auth:scope:search.api.globus.org:all"]
START_TIMEOUT = 120
SMALL_FOLDER_ENTRIES = 10
MAX_EXTRA_RECORDS = 10000
INGEST_BATCH = 1000
FILLER_WORDS = (
    "cryo ribosome virus membrane channel folding micrograph tomogram glacier sediment "
    "perovskite lensing turbulence sequencing proteome simulation"
).split()


@dataclass
class CaseResult:
    """Latencies (seconds) and failures of one case under one client kind."""

    case: str
    client: str
    threads: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def row(self) -> str:
        count = len(self.latencies)
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
        p99 = ordered[min(count - 1, int(count * 0.99))] * 1000 if ordered else float("nan")
        return (
            f"| {self.case} | {self.client} | {self.threads} | {count} | {self.errors} | "
            f"{count / self.seconds:.0f} | {p50:.1f} | {p99:.1f} |"
        )


def start_emulator(instance: Path) -> tuple[subprocess.Popen, dict[str, Any]]:
    """Run the emulator on a free loopback port; return the process and its emulator.json."""
    manifest_path = instance / "emulator.json"
    log = open(instance.parent / "emulator-bench.log", "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--instance", str(instance)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while not manifest_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"emulator did not start; see {instance.parent / 'emulator-bench.log'}")
        time.sleep(0.1)
    return process, json.loads(manifest_path.read_text())


def small_folder(manifest: dict[str, Any]) -> tuple[str, str]:
    """(collection id, path) of the public collection's folder closest to ~10 entries."""
    public = next(c for c in manifest["collections"] if c["kind"] == "public")
    root = Path(public["data_root"])
    folders = [p for p in root.rglob("*") if p.is_dir()]
    best = min(folders, key=lambda p: abs(len(os.listdir(p)) - SMALL_FOLDER_ENTRIES))
    return public["id"], "/" + best.relative_to(root).as_posix() + "/"


def finished_task(transfer: globus_sdk.TransferClient, source: str, path: str, destination: str) -> str:
    """Submit one small copy into Alice's share and wait for it, for get_task to read."""
    name = next(item["name"] for item in transfer.operation_ls(source, path=path) if item["type"] == "file")
    data = globus_sdk.TransferData(source, destination, label="benchmark copy")
    data.add_item(f"{path}{name}", f"/benchmark/{name}")
    task_id = transfer.submit_transfer(data)["task_id"]
    transfer.task_wait(task_id, timeout=60, polling_interval=1)
    return task_id


def ingest_extra_records(manifest: dict[str, Any], count: int) -> None:
    """Ingest `count` synthetic public records as the automation client (a writer on the index)."""
    automation = manifest["clients"]["automation"]
    login = globus_sdk.ConfidentialAppAuthClient(
        automation["client_id"], automation["client_secret"], base_url=manifest["services"]["auth"]
    )
    client = globus_sdk.SearchClient(
        base_url=manifest["services"]["search"],
        authorizer=globus_sdk.ClientCredentialsAuthorizer(login, "urn:globus:auth:scope:search.api.globus.org:all"),
    )
    rng = random.Random(7)
    for start in range(0, count, INGEST_BATCH):
        gmeta = [
            {
                "subject": f"https://benchmark.example.org/records/{number}",
                "visible_to": ["public"],
                "content": {
                    "title": " ".join(rng.choices(FILLER_WORDS, k=5)),
                    "description": " ".join(rng.choices(FILLER_WORDS, k=25)),
                    "domain": rng.choice(["structural biology", "life sciences", "physical sciences"]),
                    "size_bytes": rng.randrange(10**9),
                    "date_published": f"{rng.randrange(2015, 2026)}-{rng.randrange(1, 13):02d}-15T12:00:00Z",
                },
            }
            for number in range(start, min(start + INGEST_BATCH, count))
        ]
        client.ingest(manifest["search_index"]["id"], {"ingest_type": "GMetaList", "ingest_data": {"gmeta": gmeta}})
    manifest["search_index"]["records"] += count


def run_case(
    name: str, client: str, threads: int, seconds: float, make_call: Callable[[], Callable[[], bool]]
) -> CaseResult:
    """Run `threads` workers for `seconds`; each builds its own call (own session) first."""
    result = CaseResult(name, client, threads, seconds)
    result.latencies, result.errors = drive(threads, seconds, make_call)
    return result


def raw_call(method: str, url: str, token: str, **kwargs: Any) -> Callable[[], Callable[[], bool]]:
    """A factory of keep-alive `requests` calls (one Session per thread)."""

    def make() -> Callable[[], bool]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"

        def call() -> bool:
            try:
                return session.request(method, url, timeout=30, **kwargs).status_code < 400
            except requests.RequestException:
                return False

        return call

    return make


def sdk_call(build: Callable[[], Any], use: Callable[[Any], Any]) -> Callable[[], Callable[[], bool]]:
    """A factory of SDK calls (one client, hence one session, per thread)."""

    def make() -> Callable[[], bool]:
        client = build()

        def call() -> bool:
            try:
                use(client)
                return True
            except globus_sdk.GlobusError:
                return False

        return call

    return make


def main(argv: list[str] | None = None) -> int:
    """Start an emulator, measure every case with both client kinds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--seconds", type=float, default=2.5, help="duration of each case and client kind")
    parser.add_argument(
        "--extra-records",
        type=int,
        default=0,
        help=f"synthetic public records to ingest first (0..{MAX_EXTRA_RECORDS})",
    )
    args = parser.parse_args(argv)
    if args.threads < 1 or not 0 < args.seconds <= 30:
        parser.error("--threads must be >= 1 and --seconds between 0 and 30")
    if not 0 <= args.extra_records <= MAX_EXTRA_RECORDS:
        parser.error(f"--extra-records must be between 0 and {MAX_EXTRA_RECORDS}")

    with tempfile.TemporaryDirectory(prefix="emulator-bench-") as temp:
        process, manifest = start_emulator(Path(temp) / "instance")
        try:
            if args.extra_records:
                ingest_extra_records(manifest, args.extra_records)
            return measure(manifest, args.threads, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=20)


def measure(manifest: dict[str, Any], threads: int, seconds: float) -> int:
    """Run every case against a started emulator and print the results."""
    tokens = login_user_tokens(EmulatorInfo(manifest), "alice", SCOPES)
    transfer_token = tokens["transfer.api.globus.org"]["access_token"]
    search_token = tokens["search.api.globus.org"]["access_token"]
    transfer_base, search_base = manifest["services"]["transfer"], manifest["services"]["search"]
    index_id = manifest["search_index"]["id"]
    collection, folder = small_folder(manifest)
    alice_share = next(c["id"] for c in manifest["collections"] if c["display_name"] == "Alice Project Share")

    def transfer_client() -> globus_sdk.TransferClient:
        return globus_sdk.TransferClient(
            base_url=transfer_base, authorizer=globus_sdk.AccessTokenAuthorizer(transfer_token)
        )

    def search_client() -> globus_sdk.SearchClient:
        return globus_sdk.SearchClient(base_url=search_base, authorizer=globus_sdk.AccessTokenAuthorizer(search_token))

    task_id = finished_task(transfer_client(), collection, folder, alice_share)
    query = {"q": "cryo", "limit": 10, "facets": [{"field_name": "domain"}]}
    cases = [
        (
            f"small ls ({folder})",
            raw_call(
                "GET",
                f"{transfer_base}v0.10/operation/endpoint/{collection}/ls",
                transfer_token,
                params={"path": folder},
            ),
            sdk_call(transfer_client, lambda c: c.operation_ls(collection, path=folder)),
        ),
        (
            "get_task",
            raw_call("GET", f"{transfer_base}v0.10/task/{task_id}", transfer_token),
            sdk_call(transfer_client, lambda c: c.get_task(task_id)),
        ),
        (
            "task_list page",
            raw_call("GET", f"{transfer_base}v0.10/task_list", transfer_token, params={"limit": 10}),
            sdk_call(transfer_client, lambda c: c.task_list(limit=10)),
        ),
        (
            "endpoint_search",
            raw_call(
                "GET",
                f"{transfer_base}v0.10/endpoint_search",
                transfer_token,
                params={"filter_fulltext": "data", "limit": 25},
            ),
            sdk_call(transfer_client, lambda c: c.endpoint_search("data", limit=25)),
        ),
        (
            "search query (+facet)",
            raw_call("POST", f"{search_base}v1/index/{index_id}/search", search_token, json=query),
            sdk_call(search_client, lambda c: c.post_search(index_id, query)),
        ),
    ]
    results = []
    for name, raw, sdk in cases:
        results.append(run_case(name, "requests", threads, seconds, raw))
        results.append(run_case(name, "globus-sdk", threads, seconds, sdk))

    print(
        f"\nEmulator benchmark: {threads} threads, {seconds:g} s per row, "
        f"{os.cpu_count()} CPUs, index of {manifest['search_index']['records']} records\n"
    )
    print("| case | client | threads | requests | errors | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
