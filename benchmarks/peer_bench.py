"""Side by side with Globus' sample portal (globus-sample-data-portal), on one emulator, under the same gunicorn.

    git clone https://github.com/globus/globus-sample-data-portal /tmp/sample-portal
    .venv/bin/python benchmarks/peer_bench.py --sample-portal /tmp/sample-portal [--seconds 8] [--clients 1,8]

(`SAMPLE_PORTAL=/tmp/sample-portal ./dev.sh bench` runs it with the others; without it, it says
how to get the clone and is skipped.)

The sample's code is never part of this repository and its checkout is never changed: it is copied
into a temporary folder and the copy is adapted to the local emulator with these changes, all of
them configuration, not code of the portal's pages:

  1. portal/portal.conf is replaced: the emulator's "portal" client id and secret, SERVER_NAME of
     the port it is served on, DEBUG off, a random SECRET_KEY, the database and dataset files of the
     copy, DATASET_ENDPOINT_ID/BASE = the emulator's Lab Archive collection at /~/, and Globus
     Auth's logout URL on the emulator.
  2. GLOBUS_SDK_SERVICE_URL_AUTH / _TRANSFER point its globus-sdk clients at the emulator (the SDK
     reads them when a client is built; the sample passes no base_url).
  3. TransferClient.endpoint_autoactivate becomes a no-op answering "AlreadyActivated": globus-sdk 4
     removed it, and Globus retired activation with GCS v5 (the emulator, like Transfer for v5
     collections, has none). The sample calls it before every listing.
  4. The copy's portal/data/app.db gets a profile row (name, email, institution) for the
     benchmark user, which the sample otherwise asks for on a form after the first login.
  5. It is served by gunicorn with this repository's config/gunicorn.conf.py (2 gthread workers of
     4 threads by default, the same as ours) through a two-line WSGI module in the copy.

By default it runs under this virtualenv's Python (globus-sdk 4, Flask 3). The sample pins
globus-sdk 3.12 and Flask 2.2: `--sample-python PATH` runs it under another interpreter instead
(a virtualenv made from its requirements.txt plus gunicorn); change 3 applies there too.

Measured for 1 and for 8 client threads (each thread its own logged-in browser session per portal
and its own SDK client), requests interleaved: each thread repeats [ours, sample, direct SDK with
our calls, direct SDK with the sample's calls] for the same page, so all four see the same load.
Pages: a 100-file folder listing, a finished task's page, the login round trip of a browser that
is logged in nowhere (the portal's /login, the emulator's sign-in form, the portal's callback
answer; consent was given once before). "added" = portal p50 − the p50 of the same upstream
calls made directly with globus-sdk. Medians of one run; loopback only; about
pages x client counts x --seconds plus start-up.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
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
from benchmarks.portal_bench import (  # noqa: E402
    LISTING_ORDER,
    TRANSFER_SCOPE,
    finished_task,
    free_port,
    portal_login,
    start_emulator,
    start_portal,
    wait_for,
    write_folder,
)
from benchmarks.processes import stop_all  # noqa: E402
from tests.emulator.helpers import login_user_response, run_browser  # noqa: E402

USER = "alice"
LOGIN_SCOPES = ["openid", "profile", "email", TRANSFER_SCOPE]
SAMPLE_WSGI = "from portal import app  # noqa: F401 - gunicorn serves portal.app\n"
SAMPLE_COMPAT = '''"""peer_bench compatibility change 3 (see benchmarks/peer_bench.py in the Science Gateway)."""
import globus_sdk


def _already_activated(self, endpoint_id, **kwargs):
    return {"code": "AlreadyActivated", "message": "activation is not used (GCS v5)"}


globus_sdk.TransferClient.endpoint_autoactivate = _already_activated
'''


@dataclass
class Timings:
    """Latencies (seconds) and failures of one variant of one page."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    callback: list[float] = field(default_factory=list)

    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("nan")

    def callback_p50(self) -> float:
        return statistics.median(self.callback) * 1000 if self.callback else float("nan")


# A variant: built once per client thread, then called repeatedly; returns (ok, callback seconds or None).
Call = Callable[[], tuple[bool, float | None]]
Variant = Callable[[], Call]


def prepare_sample(checkout: Path, workdir: Path, emulator: EmulatorInfo, port: int) -> Path:
    """A copy of the sample portal adapted to the emulator (the changes listed in the module docstring)."""
    if not (checkout / "portal" / "views.py").is_file() or not (checkout / "portal" / "portal.conf").is_file():
        raise SystemExit(f"{checkout} is not a checkout of globus-sample-data-portal (no portal/views.py)")
    copy = workdir / "sample-portal"
    shutil.copytree(checkout, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.pyc"))
    client = emulator.client("portal")
    lab = emulator.collection("Lab Archive")
    conf = {
        "SERVER_NAME": f"127.0.0.1:{port}",
        "DEBUG": False,
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE": str(copy / "portal" / "data" / "app.db"),
        "DATASETS": str(copy / "portal" / "data" / "datasets.json"),
        "DATASET_ENDPOINT_ID": lab["id"],
        "DATASET_ENDPOINT_BASE": "/~/",
        "GRAPH_ENDPOINT_ID": lab["id"],
        "GRAPH_ENDPOINT_BASE": "/~/",
        "SERVICE_URL_BASE": "http://127.0.0.1:9",  # the sample's separate "service" app is not run
        "PORTAL_CLIENT_ID": client["client_id"],
        "PORTAL_CLIENT_SECRET": client["client_secret"],
        "GLOBUS_AUTH_LOGOUT_URI": emulator.services["auth"].rstrip("/") + "/v2/web/logout",
        "USER_SCOPES": tuple(LOGIN_SCOPES),
    }
    (copy / "portal" / "portal.conf").write_text("".join(f"{key} = {value!r}\n" for key, value in conf.items()))
    (copy / "peer_bench_compat.py").write_text(SAMPLE_COMPAT)
    (copy / "peer_bench_wsgi.py").write_text("import peer_bench_compat  # noqa: F401\n" + SAMPLE_WSGI)
    user = emulator.user(USER)
    with sqlite3.connect(copy / "portal" / "data" / "app.db") as database:
        database.execute(
            "insert into profile (identity_id, name, email, institution) values (?, ?, ?, ?)",
            (user["identity_id"], "Alice Benchmark", user["username"], "Benchmark University"),
        )
    return copy


def start_sample(copy: Path, emulator: EmulatorInfo, port: int, workers: int, python: str, workdir: Path):
    """Serve the adapted copy with gunicorn and our gunicorn config."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("GLOBUS_", "GUNICORN_"))}
    env.update(
        {
            "GLOBUS_SDK_SERVICE_URL_AUTH": emulator.services["auth"],
            "GLOBUS_SDK_SERVICE_URL_TRANSFER": emulator.services["transfer"],
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "PYTHONPATH": str(copy),
        }
    )
    base_url = f"http://127.0.0.1:{port}"
    emulator.control("redirect-uris", {"uri": f"{base_url}/authcallback"}).raise_for_status()
    log_path = workdir / "sample-gunicorn.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [python, "-m", "gunicorn", "-c", str(REPO_ROOT / "config" / "gunicorn.conf.py"), "peer_bench_wsgi:app"],
            cwd=copy,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def answering() -> bool:
        try:
            return requests.get(base_url + "/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answering, "the sample portal", process, log_path)
    return process, base_url


def sample_login(base_url: str, emulator: EmulatorInfo, browser: requests.Session | None = None) -> requests.Session:
    """Log in to the sample the way a browser does (its /login, the emulator's pages, its callback)."""
    browser = browser or requests.Session()
    authorize = _sample_authorize_url(base_url, browser)
    result = run_browser(emulator, authorize, USER, browser=browser)
    done = browser.get(result.redirect_url, allow_redirects=False, timeout=30)
    if done.status_code != 302 or "/profile" in done.headers.get("Location", ""):
        raise SystemExit(f"sample portal login failed: {done.status_code} {done.headers.get('Location')}")
    return browser


def _sample_authorize_url(base_url: str, browser: requests.Session) -> str:
    first = browser.get(f"{base_url}/login", allow_redirects=False, timeout=30)
    second = browser.get(
        requests.compat.urljoin(base_url, first.headers["Location"]), allow_redirects=False, timeout=30
    )
    return second.headers["Location"]


def page_variant(url: str, cookies: Any) -> Variant:
    def make() -> Call:
        browser = requests.Session()
        browser.cookies.update(cookies)

        def call() -> tuple[bool, float | None]:
            try:
                return browser.get(url, timeout=60, allow_redirects=False).status_code == 200, None
            except requests.RequestException:
                return False, None

        return call

    return make


def sdk_variant(token: str, emulator: EmulatorInfo, use: Callable[[globus_sdk.TransferClient], Any]) -> Variant:
    def make() -> Call:
        client = globus_sdk.TransferClient(
            base_url=emulator.services["transfer"], authorizer=globus_sdk.AccessTokenAuthorizer(token)
        )

        def call() -> tuple[bool, float | None]:
            try:
                use(client)
            except globus_sdk.GlobusError:
                return False, None
            return True, None

        return call

    return make


def login_variant(start: Callable[[requests.Session], str], emulator: EmulatorInfo, base_url: str) -> Variant:
    """The round trip from the portal's /login to its callback's answer, timing the callback alone too."""

    def make() -> Call:
        def call() -> tuple[bool, float | None]:
            browser = requests.Session()  # a browser that is not logged in anywhere yet
            try:
                result = run_browser(emulator, start(browser), USER, browser=browser)
                began = time.perf_counter()
                done = browser.get(result.redirect_url, allow_redirects=False, timeout=60)
                callback = time.perf_counter() - began
            except (requests.RequestException, AssertionError, KeyError):
                return False, None
            return done.status_code == 302 and "error" not in done.headers.get("Location", ""), callback

        call()  # the first login also answers the emulator's consent page, which later ones skip
        return call

    return make


def direct_login_variant(emulator: EmulatorInfo) -> Variant:
    """The same upstream work with globus-sdk alone: authorize at the emulator, exchange the code."""

    def make() -> Call:
        def call() -> tuple[bool, float | None]:
            try:
                login_user_response(emulator, USER, LOGIN_SCOPES, refresh_tokens=True, browser=requests.Session())
            except (globus_sdk.GlobusError, AssertionError, requests.RequestException):
                return False, None
            return True, None

        call()
        return call

    return make


def interleaved(threads: int, seconds: float, variants: dict[str, Variant]) -> dict[str, Timings]:
    """Each thread repeats one call of every variant in turn, for `seconds`."""
    results = {name: Timings() for name in variants}
    lock = threading.Lock()
    built = [{name: make() for name, make in variants.items()} for _ in range(threads)]
    gate = threading.Barrier(threads + 1)

    def work(calls: dict[str, Call]) -> None:
        mine = {name: Timings() for name in calls}
        gate.wait()
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            for name, call in calls.items():
                began = time.perf_counter()
                ok, callback = call()
                elapsed = time.perf_counter() - began
                if ok:
                    mine[name].latencies.append(elapsed)
                    if callback is not None:
                        mine[name].callback.append(callback)
                else:
                    mine[name].errors += 1
        with lock:
            for name, timing in mine.items():
                results[name].latencies.extend(timing.latencies)
                results[name].callback.extend(timing.callback)
                results[name].errors += timing.errors

    pool = [threading.Thread(target=work, args=(calls,), daemon=True) for calls in built]
    for thread in pool:
        thread.start()
    gate.wait()
    for thread in pool:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sample-portal",
        type=Path,
        default=os.environ.get("SAMPLE_PORTAL") or None,
        help="a checkout of globus-sample-data-portal (default: $SAMPLE_PORTAL)",
    )
    parser.add_argument("--sample-python", default=sys.executable, help="the interpreter to serve the sample with")
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each page and client count")
    parser.add_argument("--clients", default="1,8", help="client thread counts, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for each portal")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, the adapted copy)")
    args = parser.parse_args()
    if args.sample_portal is None:
        # `./dev.sh bench` runs every *_bench.py: without a clone there is nothing to compare with.
        print(
            "peer_bench: skipped, no sample portal: git clone https://github.com/globus/globus-sample-data-portal "
            "/tmp/sample-portal, then pass --sample-portal /tmp/sample-portal (or set SAMPLE_PORTAL)"
        )
        return
    counts = [min(max(int(n), 1), 16) for n in args.clients.split(",") if n.strip()]
    seconds = min(max(args.seconds, 1.0), 60.0)

    workdir = Path(tempfile.mkdtemp(prefix="peer-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        emulator_process, emulator = start_emulator(workdir, big_folder=0)
        processes.append(emulator_process)
        ours_process, ours = start_portal(workdir, emulator, args.workers)
        processes.append(ours_process)
        sample_port = free_port()
        copy = prepare_sample(args.sample_portal.resolve(), workdir, emulator, sample_port)
        sample_process, sample = start_sample(copy, emulator, sample_port, args.workers, args.sample_python, workdir)
        processes.append(sample_process)

        lab = emulator.collection("Lab Archive")
        shared = emulator.collection("Cryo-EM Shared Data")
        folder = write_folder(emulator, lab, "peer-100", 100)
        ours_browser = portal_login(ours, emulator, USER)
        sample_browser = sample_login(sample, emulator)
        task_id = finished_task(ours, ours_browser, shared["id"], lab["id"])
        token = login_user_response(emulator, USER, [TRANSFER_SCOPE]).by_resource_server["transfer.api.globus.org"][
            "access_token"
        ]

        def our_listing(tc: globus_sdk.TransferClient) -> Any:
            return tc.operation_ls(
                lab["id"], path=folder, limit=100, offset=0, orderby=LISTING_ORDER, show_hidden=False
            )

        def sample_listing(tc: globus_sdk.TransferClient) -> Any:
            return tc.operation_ls(lab["id"], path=folder), tc.get_endpoint(lab["id"])

        def ours_start(browser: requests.Session) -> str:
            return browser.get(f"{ours}/login", allow_redirects=False, timeout=30).headers["Location"]

        pages: list[tuple[str, dict[str, Variant], str, str]] = [
            (
                "folder listing (100 files)",
                {
                    "ours": page_variant(f"{ours}/browse/{lab['id']}?path={folder}", ours_browser.cookies),
                    "sample": page_variant(f"{sample}/browse/endpoint/{lab['id']}{folder}", sample_browser.cookies),
                    "direct ours": sdk_variant(token, emulator, our_listing),
                    "direct sample": sdk_variant(token, emulator, sample_listing),
                },
                "ls limit=100 (collection document kept 30 s)",
                "ls + get_endpoint",
            ),
            (
                "task page (finished task)",
                {
                    "ours": page_variant(f"{ours}/tasks/{task_id}", ours_browser.cookies),
                    "sample": page_variant(f"{sample}/status/{task_id}", sample_browser.cookies),
                    "direct ours": sdk_variant(
                        token, emulator, lambda tc: (tc.get_task(task_id), tc.task_event_list(task_id, limit=20))
                    ),
                    "direct sample": sdk_variant(token, emulator, lambda tc: tc.get_task(task_id)),
                },
                "get_task + event_list (ours: from memory once finished)",
                "get_task",
            ),
            (
                "login round trip",
                {
                    "ours": login_variant(ours_start, emulator, ours),
                    "sample": login_variant(lambda b: _sample_authorize_url(sample, b), emulator, sample),
                    "direct ours": direct_login_variant(emulator),
                },
                "authorize + code exchange (SDK alone)",
                "the same",
            ),
        ]
        for clients in counts:
            print(f"\n{clients} client thread(s), {seconds:g} s per page, interleaved; latency in ms (p50 / p99)\n")
            print(
                "| page | ours | sample | ours / sample | direct SDK, our calls | direct SDK, sample's calls "
                "| ours added | sample added | errors (ours/sample) |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            for name, variants, our_calls, sample_calls in pages:
                timings = interleaved(clients, seconds, variants)
                o, s, d = timings["ours"], timings["sample"], timings["direct ours"]
                ds = timings.get("direct sample", d)
                added_ours = o.p50() - d.p50() if "memory" not in our_calls else o.p50()
                print(
                    f"| {name} | {o.p50():.1f} / {o.p99():.1f} | {s.p50():.1f} / {s.p99():.1f} | "
                    f"{o.p50() / s.p50():.2f} | {d.p50():.1f} ({our_calls}) | {ds.p50():.1f} ({sample_calls}) | "
                    f"{added_ours:+.1f} | {s.p50() - ds.p50():+.1f} | {o.errors}/{s.errors} |"
                )
                if o.callback:
                    print(f"|   callback alone | {o.callback_p50():.1f} | {s.callback_p50():.1f} | | | | | | |")
        one, five, fifteen = os.getloadavg()
        print(
            f"Load average (1/5/15 min) at the end: {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} "
            "cores (anything else running on the machine shows up here)."
        )
        print(
            "\n`ours added` for the finished task page is the whole page: it makes no upstream call once the "
            "task has ended (the direct column shows the calls it saves)."
        )
    finally:
        stop_all(processes)
        if args.keep:
            print(f"\nlogs and the adapted copy kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
