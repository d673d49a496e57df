"""The real Globus CLI (3.43.0, its own virtualenv) against the emulator, as the automation client.

Run `scripts/install-globus-cli.sh` first; without `.venv-cli/bin/globus` these tests skip.
The CLI logs in with GLOBUS_CLI_CLIENT_ID/SECRET (client credentials), finds the services through
GLOBUS_SDK_SERVICE_URL_*, and keeps its token store in a HOME of its own. Carol (access manager of
Cryo-EM Shared Data) grants the client rw on a fresh folder there and the access_manager role, so
the CLI can list, make, rename, transfer into, delete and share that folder.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import uuid
from pathlib import Path

import globus_sdk
import pytest

from tests.emulator.helpers import login_user_tokens

pytestmark = pytest.mark.cli

REPO_ROOT = Path(__file__).resolve().parents[2]
GLOBUS = REPO_ROOT / ".venv-cli" / "bin" / "globus"
TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"
CLI_TIMEOUT = 120

if not GLOBUS.exists():
    pytest.skip(
        f"the Globus CLI is not installed at {GLOBUS}; run scripts/install-globus-cli.sh to enable these tests",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def cli_env(emulator, tmp_path_factory) -> dict[str, str]:
    """Environment for the CLI: client credentials, emulator URLs, an isolated HOME."""
    home = tmp_path_factory.mktemp("globus-cli-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOBUS_")}
    automation = emulator.client("automation")
    env.update(emulator.environment)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GLOBUS_CLI_CLIENT_ID=automation["client_id"],
        GLOBUS_CLI_CLIENT_SECRET=automation["client_secret"],
        GLOBUS_CLI_INTERACTIVE="0",
    )
    return env


@pytest.fixture(scope="module")
def globus(cli_env):
    """Run `globus <args>`; JSON output is parsed, a non-zero exit fails with the CLI's stderr."""

    def run(*args: str, stdin: str | None = None, expect_exit: int = 0, as_json: bool = True):
        command = [str(GLOBUS), *args, *(["-F", "json"] if as_json else [])]
        done = subprocess.run(
            command, input=stdin, capture_output=True, text=True, env=cli_env, timeout=CLI_TIMEOUT, check=False
        )
        assert done.returncode == expect_exit, (
            f"{' '.join(args)} exited {done.returncode}:\n{done.stderr}\n{done.stdout}"
        )
        return json.loads(done.stdout) if as_json and expect_exit == 0 else done

    return run


@pytest.fixture(scope="module")
def carol_transfer(emulator) -> globus_sdk.TransferClient:
    tokens = login_user_tokens(emulator, "carol", TRANSFER_SCOPE)
    authorizer = globus_sdk.AccessTokenAuthorizer(tokens["transfer.api.globus.org"]["access_token"])
    return globus_sdk.TransferClient(base_url=emulator.services["transfer"], authorizer=authorizer)


@pytest.fixture(scope="module")
def workspace(emulator, carol_transfer):
    """A fresh folder on Cryo-EM Shared Data where the automation client has rw and manages access."""
    shared = emulator.collection("cryoem-shared")["id"]
    client_id = emulator.client("automation")["client_id"]
    folder = f"/cli-{uuid.uuid4().hex[:10]}/"
    carol_transfer.operation_mkdir(shared, folder)
    rule = carol_transfer.add_endpoint_acl_rule(
        shared,
        {
            "DATA_TYPE": "access",
            "principal_type": "identity",
            "principal": client_id,
            "path": folder,
            "permissions": "rw",
        },
    )
    role = carol_transfer.add_endpoint_role(
        shared, {"DATA_TYPE": "role", "principal_type": "identity", "principal": client_id, "role": "access_manager"}
    )
    yield {"collection": shared, "folder": folder, "client_id": client_id}
    carol_transfer.delete_endpoint_role(shared, role["id"])
    carol_transfer.delete_endpoint_acl_rule(shared, rule["access_id"])
    cleanup = globus_sdk.DeleteData(shared, recursive=True)
    cleanup.add_item(folder)
    task_id = carol_transfer.submit_delete(cleanup)["task_id"]
    carol_transfer.task_wait(task_id, timeout=60, polling_interval=1)


def names(listing: dict) -> set[str]:
    return {item["name"] for item in listing["DATA"]}


def test_search_query_with_a_query_string_and_a_document(globus, emulator):
    index_id = emulator.manifest["search_index"]["id"]
    simple = globus("search", "query", index_id, "-q", "cryo", "--limit", "5")
    assert simple["@datatype"] == "GSearchResult" and 0 < simple["count"] <= 5
    document = json.dumps({"q": "*", "limit": 0, "facets": [{"field_name": "domain", "size": 10}]})
    faceted = globus("search", "query", index_id, "--query-document", "-", stdin=document)
    assert sum(b["count"] for b in faceted["facet_results"][0]["buckets"]) == faceted["total"]


def test_get_identities_resolves_usernames(globus, emulator):
    result = globus("get-identities", "alice@example.edu", "dave@example.edu")
    ids = {identity["username"]: identity["id"] for identity in result["identities"]}
    assert ids == {
        "alice@example.edu": emulator.user("alice")["identity_id"],
        "dave@example.edu": emulator.user("dave")["identity_id"],
    }


def test_endpoint_search_and_show(globus, emulator):
    shared = emulator.collection("cryoem-shared")
    found = globus("endpoint", "search", "Cryo-EM")
    assert shared["id"] in {doc["id"] for doc in found["DATA"]}
    shown = globus("endpoint", "show", "--skip-endpoint-type-check", shared["id"])
    assert shown["display_name"] == shared["display_name"]


def test_ls_mkdir_and_rename(globus, workspace):
    where = f"{workspace['collection']}:{workspace['folder']}"
    globus("mkdir", f"{where}made-by-cli")
    assert "made-by-cli" in names(globus("ls", where))
    globus("rename", workspace["collection"], f"{workspace['folder']}made-by-cli", f"{workspace['folder']}renamed")
    assert names(globus("ls", where)) >= {"renamed"} and "made-by-cli" not in names(globus("ls", where))


def test_batch_transfer_with_sync_level_then_task_commands(globus, emulator, workspace):
    public = emulator.collection("public-reference")
    source_files = sorted(p.name for p in Path(public["data_root"], "genomes").iterdir() if p.is_file())[:3]
    assert source_files, "the public reference collection has seeded genome files"
    # Batch lines are shell-split by the CLI, so names with spaces are quoted.
    batch = "".join(
        f"{shlex.quote('/genomes/' + name)} {shlex.quote(workspace['folder'] + 'copied/' + name)}\n"
        for name in source_files
    )
    submitted = globus(
        "transfer",
        public["id"],
        workspace["collection"],
        "--batch",
        "-",
        "--sync-level",
        "checksum",
        "--label",
        "cli batch",
        stdin=batch,
    )
    task_id = submitted["task_id"]
    globus("task", "wait", task_id, "--timeout", "90", "--polling-interval", "1", as_json=False)
    task = globus("task", "show", task_id)
    assert task["status"] == "SUCCEEDED" and task["files_transferred"] == len(source_files)
    assert task["label"] == "cli batch"
    copied = globus("ls", f"{workspace['collection']}:{workspace['folder']}copied/")
    assert names(copied) == set(source_files)
    events = globus("task", "event-list", task_id)
    assert events["DATA"], "a finished task has at least one event"
    listed = globus("task", "list", "--filter-task-id", task_id)
    assert [t["task_id"] for t in listed["DATA"]] == [task_id]

    again = globus(
        "transfer", public["id"], workspace["collection"], "--batch", "-", "--sync-level", "checksum", stdin=batch
    )
    globus("task", "wait", again["task_id"], "--timeout", "90", "--polling-interval", "1", as_json=False)
    repeat = globus("task", "show", again["task_id"])
    assert repeat["status"] == "SUCCEEDED" and repeat["files_transferred"] == 0


def test_task_cancel(globus, emulator, emulator_setting, workspace):
    public = emulator.collection("public-reference")
    emulator_setting(throughput=1)  # one byte per second keeps the task running until cancelled
    submitted = globus(
        "transfer", "--recursive", f"{public['id']}:/genomes/", f"{workspace['collection']}:{workspace['folder']}slow/"
    )
    cancelled = globus("task", "cancel", submitted["task_id"])
    assert cancelled["code"] == "Canceled"  # the task was still running (one byte a second)
    globus(
        "task", "wait", submitted["task_id"], "--timeout", "60", "--polling-interval", "1", as_json=False, expect_exit=1
    )
    assert globus("task", "show", submitted["task_id"])["status"] == "FAILED"


def test_delete_removes_a_folder(globus, workspace):
    target = f"{workspace['collection']}:{workspace['folder']}renamed"
    submitted = globus("delete", "--recursive", target)
    globus("task", "wait", submitted["task_id"], "--timeout", "60", "--polling-interval", "1", as_json=False)
    assert "renamed" not in names(globus("ls", f"{workspace['collection']}:{workspace['folder']}"))


def test_endpoint_permission_create_list_delete(globus, workspace):
    where = f"{workspace['collection']}:{workspace['folder']}"
    created = globus("endpoint", "permission", "create", where, "--permissions", "r", "--identity", "bob@example.edu")
    rule_id = created["access_id"]
    listed = globus("endpoint", "permission", "list", workspace["collection"])
    assert rule_id in {rule["id"] for rule in listed["DATA"]}
    globus("endpoint", "permission", "delete", workspace["collection"], rule_id)
    assert rule_id not in {
        rule["id"] for rule in globus("endpoint", "permission", "list", workspace["collection"])["DATA"]
    }


def test_bookmark_create_and_list(globus, workspace):
    name = f"cli bookmark {uuid.uuid4().hex[:6]}"
    created = globus("bookmark", "create", f"{workspace['collection']}:{workspace['folder']}", name)
    listed = globus("bookmark", "list")
    mine = {b["id"]: b for b in listed["DATA"]}
    assert mine[created["id"]]["name"] == name and mine[created["id"]]["path"] == workspace["folder"]
