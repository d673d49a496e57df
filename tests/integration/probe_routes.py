"""Test-only routes registered on the live test portal: small real Transfer calls as a user.

They stand in for feature pages (the file manager is the real user of this path) to drive the
portal's consent repair and error pages with real Transfer answers from the emulator.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from markupsafe import escape

from app.auth.access import current_user_id, login_required
from app.services.globus.errors import globus_errors
from app.services.user_clients import transfer_client

probe_bp = Blueprint("probe", __name__, url_prefix="/_probe")


@probe_bp.get("/ls/<collection_id>")
@login_required
def list_root(collection_id: str):
    """List the top of a collection as the logged-in user."""
    with globus_errors("transfer"):
        listing = transfer_client(current_user_id()).operation_ls(collection_id, path="/")
    return (
        jsonify(sorted(entry["name"] for entry in listing))
        if request.args.get("json")
        else (
            "<!doctype html><title>listing</title><ul>"
            + "".join(f"<li>{escape(entry['name'])}</li>" for entry in listing)
            + "</ul>"
        )
    )


@probe_bp.post("/mkdir/<collection_id>")
@login_required
def make_directory(collection_id: str):
    """Create a directory from a form field, as the logged-in user."""
    path = request.form["path"]
    with globus_errors("transfer"):
        transfer_client(current_user_id()).operation_mkdir(collection_id, path=path)
    return f"created {path}"
