"""GET /v2/web/logout: end the emulator login and offer a way back to the application."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from emulator.auth import bp
from emulator.auth.authorize_flow import client_redirect_uris, log_out
from emulator.auth.models import Client
from emulator.auth.page_headers import html_page
from emulator.db import db_session


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def safe_return_uri(client: Client | None, redirect_uri: str | None) -> str | None:
    """`redirect_uri` if it is http(s) and shares an origin with one of the client's redirect URIs."""
    if client is None or not redirect_uri:
        return None
    if urlsplit(redirect_uri).scheme.lower() not in ("http", "https"):
        return None
    allowed = {_origin(uri) for uri in client_redirect_uris(client)}
    return redirect_uri if _origin(redirect_uri) in allowed else None


@bp.get("/v2/web/logout")
def logout():
    """Clear the emulator's login cookie; link back only to a registered origin of the client."""
    client_id = request.args.get("client")
    client = db_session().get(Client, client_id) if client_id else None
    redirect_uri = request.args.get("redirect_uri")
    return_uri = safe_return_uri(client, redirect_uri)
    log_out()
    return html_page(
        "auth/logout.html",
        return_uri=return_uri,
        return_name=request.args.get("redirect_name") or (client.name if client else None),
        rejected=bool(redirect_uri) and return_uri is None,
    )
