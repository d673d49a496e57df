"""`python -m emulator`: seed if needed, bind a threaded HTTP server, publish emulator.json, serve.

The order matters to whoever waits for us: the socket is bound (so the real port is known) before
emulator.json is written, and emulator.json is complete before "emulator ready" is printed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from emulator.settings import EmulatorSettings

log = logging.getLogger("emulator")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface shared with the portal's `gateway emulator`."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Run the local Globus-compatible backend (Auth, Transfer, Search, HTTPS).",
    )
    parser.add_argument("--port", type=_non_negative, default=8111, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--instance", required=True, help="instance folder: database, keys, data root, emulator.json")
    parser.add_argument("--reset", action="store_true", help="wipe the database and data root, then reseed")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        dest="redirect_uris",
        metavar="URI",
        help="extra exact redirect URI for the portal client (repeatable)",
    )
    parser.add_argument("--access-token-lifetime", type=_positive, default=172800, metavar="SECONDS")
    parser.add_argument(
        "--throughput",
        type=_non_negative,
        default=0,
        metavar="BYTES_PER_SEC",
        help="per-task transfer throttle (0 = unthrottled)",
    )
    parser.add_argument(
        "--fault-rate",
        type=_fraction,
        default=0.0,
        metavar="F",
        help="chance (0..1) that a file copy hits a transient fault",
    )
    parser.add_argument(
        "--big-folder",
        type=_non_negative,
        default=0,
        metavar="N",
        help="create the N-entry big folder at start if it is missing",
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """Turn parsed arguments into the settings object the app reads live."""
    return EmulatorSettings(
        instance_dir=str(Path(args.instance).resolve()),
        port=args.port,
        reset=args.reset,
        redirect_uris=list(args.redirect_uris),
        access_token_lifetime=args.access_token_lifetime,
        throughput=args.throughput,
        fault_rate=args.fault_rate,
        big_folder_entries=args.big_folder,
    )


def _start_runner(app) -> Any:  # noqa: ANN001 - Flask app
    # The task runner belongs to the transfer service; it may not exist in a partial checkout.
    try:
        from emulator.transfer.tasks import runner
    except ImportError:
        log.warning("emulator.transfer.tasks.runner is missing: transfer tasks will not run")
        return None
    start = getattr(runner, "start_runner", None)
    return start(app) if callable(start) else None


def _ensure_big_folder(app, entries: int) -> None:  # noqa: ANN001 - Flask app
    from emulator.seed import update_seed_manifest
    from emulator.transfer.storage.big_folder import create_big_folder

    update_seed_manifest(app, "big_folder", create_big_folder(app, entries))


def _stop(handle: Any) -> None:
    stop = getattr(handle, "stop", None)
    if callable(stop):
        stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m emulator`; returns the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from_args(args)

    from emulator.app import create_app
    from emulator.auth.keys import load_or_create_key
    from emulator.errors import GlobusError
    from emulator.seed import InstanceError, is_fresh, prepare_runtime, reset_instance, seed, write_manifest

    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    if settings.reset:
        reset_instance(settings.instance_dir)
    fresh = is_fresh(settings.instance_dir)
    # Made up front, not on the first ID token, so its 0600 file exists before anyone connects.
    load_or_create_key(settings.instance_dir)
    app = create_app(settings)
    server = make_server(settings.host, settings.port, app, threaded=True)
    settings.port = server.server_port
    try:
        if fresh:
            try:
                seed(app)
            except Exception:
                # A half-seeded instance would look "not fresh" next time; start over instead.
                app.extensions["emulator_engine"].dispose()
                reset_instance(settings.instance_dir)
                raise
        prepare_runtime(app)
        if settings.big_folder_entries:
            _ensure_big_folder(app, settings.big_folder_entries)
    except (InstanceError, GlobusError) as err:
        server.server_close()
        print(f"emulator: {err}", file=sys.stderr)
        return 2
    runner = _start_runner(app)
    write_manifest(app)

    stopping = threading.Event()

    def _on_signal(signum, _frame):  # noqa: ANN001 - signal handler signature
        log.info("received signal %s, shutting down", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    # serve_forever runs in a thread so the main thread stays free to receive signals and to call
    # shutdown(), which would deadlock if called from inside serve_forever's own thread.
    serving = threading.Thread(target=server.serve_forever, name="emulator-http", daemon=True)
    serving.start()
    print(f"emulator ready: {settings.base_url}", flush=True)
    stopping.wait()
    server.shutdown()
    server.server_close()
    _stop(runner)
    app.extensions["emulator_engine"].dispose()
    return 0
