"""Seeding orchestration and the instance's manifest files.

At seed time the three services fill one manifest dict. Its secret parts (client secrets, user
passwords, the control password) go to `seed-secrets.json` (mode 0600), the rest to
`seed-manifest.json`. On every start `write_manifest` merges both with the current URLs into
`emulator.json`, the file tests, the portal and benchmarks read (docs/emulator.md).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from flask import Flask

from emulator.db import session_scope, write_lock
from emulator.settings import EmulatorSettings

MANIFEST_VERSION = 1
CONTROL_USERNAME = "emulator-admin"
DATABASE_FILES = ("emulator.sqlite3", "emulator.sqlite3-wal", "emulator.sqlite3-shm")
SEED_MANIFEST = "seed-manifest.json"
SEED_SECRETS = "seed-secrets.json"
MANIFEST = "emulator.json"


class InstanceError(RuntimeError):
    """The instance folder is in a state the emulator cannot start from."""


def write_json_atomic(path: Path, data: Any, mode: int = 0o600) -> None:
    """Write JSON to a temp file in the same folder, then rename it over `path`."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(temp, path)


def reset_instance(instance_dir: str) -> None:
    """Wipe the database, data root and seed files; keep the RSA key and cookie secret."""
    instance = Path(instance_dir)
    for name in DATABASE_FILES + (SEED_MANIFEST, SEED_SECRETS, MANIFEST):
        (instance / name).unlink(missing_ok=True)
    shutil.rmtree(instance / "data", ignore_errors=True)


def is_fresh(instance_dir: str) -> bool:
    """True when the instance has no database yet (so it must be seeded)."""
    return not (Path(instance_dir) / DATABASE_FILES[0]).exists()


def _split_secrets(manifest: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    public = copy.deepcopy(manifest)
    hidden: dict[str, Any] = {"clients": {}, "users": {}, "control": public.pop("control")["password"]}
    for slug, client in public.get("clients", {}).items():
        hidden["clients"][slug] = client.pop("client_secret")
    for user in public.get("users", []):
        hidden["users"][user["username"]] = user.pop("password")
    return public, hidden


def _merge_secrets(public: dict[str, Any], hidden: dict[str, Any]) -> dict[str, Any]:
    manifest = copy.deepcopy(public)
    for slug, client in manifest.get("clients", {}).items():
        client["client_secret"] = hidden["clients"][slug]
    manifest["users"] = [
        # Password right after the username, as docs/emulator.md shows it.
        {
            "username": user["username"],
            "password": hidden["users"][user["username"]],
            **{key: value for key, value in user.items() if key != "username"},
        }
        for user in manifest.get("users", [])
    ]
    manifest["control"] = {"username": CONTROL_USERNAME, "password": hidden["control"]}
    return manifest


def seed(app: Flask) -> None:
    """Seed Auth, then Transfer, then Search, and save the resulting manifest and secrets."""
    from emulator.auth.seed import seed_auth
    from emulator.search.seed import seed_search
    from emulator.transfer.seed import seed_transfer

    settings: EmulatorSettings = app.config["EMULATOR_SETTINGS"]
    data_root = app.config["EMULATOR_DATA_ROOT"]
    Path(data_root).mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "base_url": settings.base_url,
        "control": {"username": CONTROL_USERNAME, "password": secrets.token_urlsafe(24)},
    }
    # One transaction per service keeps a failure in a later service from leaving a half-seeded
    # auth side silently behind; the caller wipes the instance when anything here fails.
    with write_lock:
        with session_scope(app) as session:
            seed_auth(session, manifest, settings)
        with session_scope(app) as session:
            seed_transfer(session, manifest, data_root)
        with session_scope(app) as session:
            seed_search(session, manifest, data_root)
    public, hidden = _split_secrets(manifest)
    instance = Path(app.instance_path)
    write_json_atomic(instance / SEED_SECRETS, hidden, mode=0o600)
    write_json_atomic(instance / SEED_MANIFEST, public, mode=0o644)


def load_manifest(app: Flask) -> dict[str, Any]:
    """The seeded manifest with its secrets, as saved at seed time (no URLs refreshed)."""
    instance = Path(app.instance_path)
    try:
        public = json.loads((instance / SEED_MANIFEST).read_text())
        hidden = json.loads((instance / SEED_SECRETS).read_text())
    except FileNotFoundError as err:
        raise InstanceError(
            f"{instance} has a database but no {err.filename!s}; start once with --reset to reseed it"
        ) from err
    return _merge_secrets(public, hidden)


def update_seed_manifest(app: Flask, key: str, value: Any) -> None:
    """Persist a change to the non-secret manifest (e.g. the big folder once created)."""
    path = Path(app.instance_path) / SEED_MANIFEST
    public = json.loads(path.read_text())
    public[key] = value
    write_json_atomic(path, public, mode=0o644)


def prepare_runtime(app: Flask) -> dict[str, Any]:
    """Load secrets the running app needs (control password) and sync redirect URIs to the DB."""
    from emulator.auth.seed import ensure_redirect_uris

    manifest = load_manifest(app)
    settings: EmulatorSettings = app.config["EMULATOR_SETTINGS"]
    app.config["EMULATOR_CONTROL_USERNAME"] = CONTROL_USERNAME
    app.config["EMULATOR_CONTROL_PASSWORD"] = manifest["control"]["password"]
    app.config["EMULATOR_PORTAL_CLIENT_ID"] = manifest["clients"]["portal"]["client_id"]
    if settings.redirect_uris:
        with write_lock, session_scope(app) as session:
            ensure_redirect_uris(session, app.config["EMULATOR_PORTAL_CLIENT_ID"], settings.redirect_uris)
    return manifest


def _portal_redirect_uris(app: Flask) -> list[str]:
    from emulator.auth.models import Client

    with session_scope(app) as session:
        client = session.get(Client, app.config["EMULATOR_PORTAL_CLIENT_ID"])
        return [uri for uri in client.redirect_uris.split("\n") if uri] if client else []


def write_manifest(app: Flask) -> dict[str, Any]:
    """(Re)write DIR/emulator.json with the current URLs, redirect URIs and secrets."""
    settings: EmulatorSettings = app.config["EMULATOR_SETTINGS"]
    manifest = load_manifest(app)
    base = settings.base_url
    services = {name: f"{base}/{name}/" for name in ("auth", "transfer", "search", "https")}
    manifest["base_url"] = base
    manifest["services"] = services
    manifest["environment"] = {
        f"GLOBUS_SDK_SERVICE_URL_{name.upper()}": services[name] for name in ("auth", "transfer", "search")
    }
    manifest["issuer"] = f"{base}/auth"
    manifest["clients"]["portal"]["redirect_uris"] = _portal_redirect_uris(app)
    for collection in manifest.get("collections", []):
        collection["https_server"] = f"{base}/https/{collection['id']}"
    ordered = {key: manifest[key] for key in ("version", "base_url", "services", "environment", "issuer")}
    ordered.update({key: value for key, value in manifest.items() if key not in ordered})
    write_json_atomic(Path(app.instance_path) / MANIFEST, ordered, mode=0o600)
    return ordered
