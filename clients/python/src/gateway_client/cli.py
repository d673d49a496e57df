"""gateway-client: the gateway's API from a shell or a script.

Exit codes (for scripts): 0 done; 1 the gateway refused (4xx); 2 bad usage; 3 not logged in or
the token was refused (401/403); 4 the task waited for FAILED; 5 still running when --timeout
ran out; 6 the gateway or Globus unavailable (5xx, network).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from typing import Any

import requests

from gateway_client.client import ApiError, GatewayClient, TaskFailed, TaskTimeout
from gateway_client.login import LoginRequired, forget_login, native_login

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_AUTH, EXIT_FAILED, EXIT_TIMEOUT, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4, 5, 6


def _endpoint(text: str) -> tuple[str, str]:
    """COLLECTION:PATH (the Globus CLI's notation) → (collection, path)."""
    collection, _, path = text.partition(":")
    return collection, path or "/~/"


def _batch_items(path: str, source_base: str, destination_base: str) -> list[dict[str, Any]]:
    """Lines `SOURCE DESTINATION [--recursive]`, relative to the SRC/DST paths (as `globus transfer --batch`)."""
    import shlex

    handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    items = []
    with handle:
        for line in handle:
            words = shlex.split(line, comments=True)
            if not words:
                continue
            recursive = any(word in ("-r", "--recursive") for word in words)
            names = [word for word in words if word not in ("-r", "--recursive")]
            if len(names) != 2:
                raise SystemExit(f"batch line needs a source and a destination: {line.strip()}")
            source, destination = (
                n if n.startswith("/") else base.rstrip("/") + "/" + n
                for n, base in zip(names, (source_base, destination_base), strict=True)
            )
            items.append({"source": source, "destination": destination, "recursive": recursive})
    return items


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if args.format == "json" else text)


def _text_listing(page: dict[str, Any]) -> str:
    rows = [f"{'d' if e['kind'] == 'dir' else '-'} {e['size']:>12} {e['name']}" for e in page["data"]]
    if page["has_next_page"]:
        rows.append(f"... more: --offset {page['offset'] + page['limit']}")
    return "\n".join(rows)


def _text_task(task: dict[str, Any]) -> str:
    return (
        f"{task['task_id']}  {task['kind']}  {task['status_label']}  {task['percent']}%  "
        f"{task['files_transferred']}/{task['files']} files  {task['label']}"
    )


def run(args: argparse.Namespace) -> int:
    """Run one parsed command; returns its exit code."""
    if args.command == "login":
        client_id = args.client_id or os.environ.get("GATEWAY_NATIVE_CLIENT_ID")
        if not client_id or not args.base_url:
            print(
                "login needs --base-url and --client-id (or GATEWAY_URL and GATEWAY_NATIVE_CLIENT_ID)", file=sys.stderr
            )
            return EXIT_USAGE
        path = native_login(
            args.base_url, client_id, profile=args.profile, local_server=not args.no_local_server, port=args.port
        )
        _print(args, {"saved": str(path)}, f"Logged in; the login is kept in {path}")
        return EXIT_OK
    if args.command == "logout":
        removed = forget_login(args.profile)
        _print(args, {"removed": removed}, "Logged out." if removed else "There was no login to remove.")
        return EXIT_OK
    client = GatewayClient.restore(args.base_url, profile=args.profile)
    if args.command == "whoami":
        me = client.whoami()
        _print(args, me, f"{me['username']} ({me['name'] or ''}) via client {me['client_id']}")
    elif args.command == "ls":
        collection, path = _endpoint(args.target)
        page = client.ls(collection, path, limit=args.limit, offset=args.offset, filter=args.filter or None)
        _print(args, page, _text_listing(page))
    elif args.command == "mkdir":
        collection, path = _endpoint(args.target)
        parent, _, name = path.rstrip("/").rpartition("/")
        made = client.mkdir(collection, (parent or "") + "/", name)
        _print(args, made, f"Made {made['path']}")
    elif args.command == "transfer":
        source, source_path = _endpoint(args.source)
        destination, destination_path = _endpoint(args.destination)
        if args.batch:
            items = _batch_items(args.batch, source_path, destination_path)
        else:
            items = [{"source": source_path, "destination": destination_path, "recursive": args.recursive}]
        notify = args.notify != "off"
        submitted = client.transfer(
            source,
            destination,
            items,
            submission_id=args.submission_id or str(uuid.uuid4()),
            label=args.label,
            sync_level=args.sync_level or "",
            notify_on_succeeded=notify,
            notify_on_failed=notify,
            notify_on_inactive=notify,
        )
        _print(
            args, submitted, f"Task {submitted['task_id']}" + (" (already submitted)" if submitted["reused"] else "")
        )
    elif args.command == "automation":
        if args.action == "list":
            listing = client.automations()
            rows = [f"{a['id']:>5}  {a['status']:<8} {a['next_run'] or '-':<20} {a['name']}" for a in listing["data"]]
            _print(args, listing, "\n".join(rows) or "No automations.")
        else:
            if not args.automation_id:
                print("automation run needs an automation id", file=sys.stderr)
                return EXIT_USAGE
            started = client.run_automation(args.automation_id)
            text = f"Run {started['run_id']} " + (f"skipped: {started['skipped']}" if started["skipped"] else "queued")
            _print(args, started, text)
    elif args.command == "task":
        if args.action == "show":
            task = client.task(args.task_id)
        elif args.action == "cancel":
            task = client.cancel(args.task_id)
            _print(args, task, task["message"])
            return EXIT_OK
        else:
            task = client.wait(args.task_id, timeout=args.timeout, interval=args.interval)
        _print(args, task, _text_task(task))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="gateway-client", description="The Science Gateway API from the command line.")
    top.add_argument("--base-url", default=os.environ.get("GATEWAY_URL"), help="the gateway (or GATEWAY_URL)")
    top.add_argument("--profile", default=os.environ.get("GATEWAY_PROFILE", "default"), help="which cached login")
    top.add_argument("--format", choices=("text", "json"), default="text")
    commands = top.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="log in once as a Globus native app (PKCE)")
    login.add_argument("--client-id", help="the gateway's native app client id (or GATEWAY_NATIVE_CLIENT_ID)")
    login.add_argument("--no-local-server", action="store_true", help="copy and paste the code instead")
    login.add_argument("--port", type=int, default=0, help="the local redirect's port (if the app registers one)")
    commands.add_parser("logout", help="forget the cached login")
    commands.add_parser("whoami", help="who the API acts for")
    ls = commands.add_parser("ls", help="list a folder: COLLECTION:PATH")
    ls.add_argument("target")
    ls.add_argument("--limit", type=int, default=100, choices=(50, 100, 250, 1000))
    ls.add_argument("--offset", type=int, default=0)
    ls.add_argument("--filter", default="")
    mkdir = commands.add_parser("mkdir", help="make a folder: COLLECTION:PATH")
    mkdir.add_argument("target")
    transfer = commands.add_parser("transfer", help="start a transfer: SRC DST as COLLECTION:PATH")
    transfer.add_argument("source")
    transfer.add_argument("destination")
    transfer.add_argument("--batch", help="file of 'SRC DST [--recursive]' lines, relative to SRC/DST ('-': stdin)")
    transfer.add_argument("--submission-id", help="a UUID you choose: running the command again makes no second task")
    transfer.add_argument("--sync-level", choices=("exists", "size", "mtime", "checksum"))
    transfer.add_argument("--notify", choices=("on", "off"), default="on")
    transfer.add_argument("--label", default="")
    transfer.add_argument("--recursive", "-r", action="store_true")
    automation = commands.add_parser("automation", help="list automations, or run one now")
    automation.add_argument("action", choices=("list", "run"))
    automation.add_argument("automation_id", nargs="?")
    task = commands.add_parser("task", help="show, wait for or cancel a task")
    task.add_argument("action", choices=("show", "wait", "cancel"))
    task.add_argument("task_id")
    task.add_argument("--timeout", type=float, default=3600)
    task.add_argument("--interval", type=float, default=5)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, turn failures into messages and exit codes."""
    args = parser().parse_args(argv)
    try:
        return run(args)
    except LoginRequired as problem:
        print(f"gateway-client: {problem}", file=sys.stderr)
        return EXIT_AUTH
    except ApiError as error:
        print(f"gateway-client: {error} (request {error.request_id})", file=sys.stderr)
        if args.format == "json":
            print(json.dumps({"error": error.code, "message": error.message, "status": error.status}))
        if error.status in (401, 403):
            return EXIT_AUTH
        return EXIT_UNAVAILABLE if error.status >= 500 else EXIT_REFUSED
    except TaskFailed as failed:
        _print(args, failed.task, f"FAILED: {_text_task(failed.task)}")
        return EXIT_FAILED
    except TaskTimeout as waiting:
        _print(args, waiting.task, f"still running: {_text_task(waiting.task)}")
        return EXIT_TIMEOUT
    except requests.RequestException as problem:
        print(f"gateway-client: cannot reach the gateway: {problem}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
