"""The control API under /_emulator/ for tests and benchmarks (HTTP Basic with control credentials).

It changes the running emulator (settings, availability, big folder, redirect URIs); it is not
part of any Globus API, and nothing here is reachable without the control password except health.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request

from emulator.auth.credentials import same_secret
from emulator.db import current_flask_app, db_session, write_lock
from emulator.errors import GlobusError, bad_request
from emulator.http_auth import basic_credentials

bp = Blueprint("control", __name__)

# Upper bounds keep later date arithmetic (token and code expiry) and byte counts in range.
_TEN_YEARS = 10 * 365 * 24 * 3600
_SETTING_PARSERS = {
    "throughput": (int, lambda value: 0 <= value <= 2**62, "an integer from 0 to 2**62"),
    "fault_rate": (float, lambda value: 0.0 <= value <= 1.0, "a number between 0 and 1"),
    "access_token_lifetime": (int, lambda value: 0 < value <= _TEN_YEARS, f"an integer from 1 to {_TEN_YEARS}"),
    # 0 makes every new authorization code expire at once, which tests use for the expiry path.
    "code_lifetime": (int, lambda value: 0 <= value <= _TEN_YEARS, f"an integer from 0 to {_TEN_YEARS}"),
}


@bp.before_request
def _require_control_credentials():
    if request.endpoint == "control.health":
        return None
    credentials = basic_credentials()
    username = current_app.config.get("EMULATOR_CONTROL_USERNAME")
    password = current_app.config.get("EMULATOR_CONTROL_PASSWORD")
    ok = (
        credentials is not None
        and password is not None
        and same_secret(credentials[0], username or "")
        and same_secret(credentials[1], password)
    )
    if not ok:
        response = jsonify(
            {"code": "AuthenticationFailed", "message": "Control API credentials required.", "request_id": "control"}
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="emulator control"'
        return response
    return None


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request("Send a JSON object body.")
    return body


def _settings_document() -> dict[str, Any]:
    settings = current_app.config["EMULATOR_SETTINGS"]
    return {name: getattr(settings, name) for name in _SETTING_PARSERS}


@bp.get("/health")
def health():
    """Liveness check, no credentials needed."""
    return {"status": "ok"}


@bp.get("/settings")
def get_settings():
    """The live values of the adjustable settings."""
    return _settings_document()


@bp.post("/settings")
def change_settings():
    """Change throughput, fault_rate and/or access_token_lifetime while running."""
    body = _json_body()
    unknown = sorted(set(body) - set(_SETTING_PARSERS))
    if unknown:
        raise bad_request(f"Unknown settings: {', '.join(unknown)}. Known: {', '.join(_SETTING_PARSERS)}.")
    parsed = {}
    for name, raw in body.items():
        convert, valid, expected = _SETTING_PARSERS[name]
        # bool is an int in Python; reject it so `true` is not silently read as 1.
        # int(NaN) or int(Infinity) (JSON allows both literals) would raise, so integers must arrive as integers.
        if isinstance(raw, bool) or not isinstance(raw, int if convert is int else (int, float)):
            raise bad_request(f"{name} must be {expected}.")
        value = convert(raw)
        if not valid(value) or (convert is int and value != raw):
            raise bad_request(f"{name} must be {expected}.")
        parsed[name] = value
    settings = current_app.config["EMULATOR_SETTINGS"]
    # Validate everything first so a bad field leaves all settings unchanged.
    for name, value in parsed.items():
        setattr(settings, name, value)
    return _settings_document()


@bp.post("/collections/<collection_id>/availability")
def collection_availability(collection_id: str):
    """Make a collection answer 503 (or serve again)."""
    body = _json_body()
    if not isinstance(body.get("available"), bool):
        raise bad_request("'available' must be true or false.")
    from emulator.transfer.access import set_availability

    with write_lock:
        session = db_session()
        try:
            set_availability(session, collection_id, body["available"])
            session.commit()
        except Exception:
            session.rollback()
            raise
    return {"collection_id": collection_id, "available": body["available"]}


@bp.post("/collections/<collection_id>/quota")
def collection_quota(collection_id: str):
    """Set a collection's storage quota in bytes ({"quota_bytes": N}, or null for none)."""
    body = _json_body()
    if "quota_bytes" not in body:
        raise bad_request("'quota_bytes' is required (a byte count, or null to remove the quota).")
    from emulator.transfer.storage.quota import set_collection_quota

    with write_lock:
        session = db_session()
        result = set_collection_quota(session, collection_id, body["quota_bytes"])
        session.commit()
    return result


@bp.post("/big-folder")
def big_folder():
    """Create the big folder once and return its manifest entry."""
    body = _json_body()
    entries = body.get("entries")
    if isinstance(entries, bool) or not isinstance(entries, int) or entries <= 0:
        raise bad_request("'entries' must be a positive integer.")
    from emulator.seed import update_seed_manifest, write_manifest
    from emulator.transfer.storage.big_folder import create_big_folder

    result = create_big_folder(current_flask_app(), entries)
    update_seed_manifest(current_flask_app(), "big_folder", result)
    write_manifest(current_flask_app())
    return result


@bp.post("/redirect-uris")
def add_redirect_uri():
    """Allow one more exact redirect URI for a seeded client (the portal unless `client` names
    another, e.g. "partner"), and republish emulator.json."""
    body = _json_body()
    uri = body.get("uri")
    slug = body.get("client") or "portal"
    if not isinstance(uri, str) or urlsplit(uri).scheme not in ("http", "https") or not urlsplit(uri).netloc:
        raise bad_request("'uri' must be an absolute http(s) URL.")
    if urlsplit(uri).fragment:
        raise bad_request("A redirect URI must not contain a fragment.")
    from emulator.auth.seed import ensure_redirect_uris
    from emulator.seed import load_manifest, write_manifest

    app = current_flask_app()
    clients = load_manifest(app)["clients"]
    if not isinstance(slug, str) or slug not in clients:
        raise bad_request(f"'client' must be one of {', '.join(sorted(clients))}.")
    client_id = clients[slug]["client_id"]
    with write_lock:
        session = db_session()
        try:
            uris = ensure_redirect_uris(session, client_id, [uri])
            session.commit()
        except LookupError as err:
            session.rollback()
            raise GlobusError(500, "ServerError", str(err)) from err
    write_manifest(app)
    return {"client_id": client_id, "redirect_uris": uris}
