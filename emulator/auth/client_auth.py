"""Authenticating the OAuth client calling the token, revoke and introspect endpoints."""

from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from emulator.auth.credentials import check_client_secret
from emulator.auth.errors import invalid_client
from emulator.auth.models import Client
from emulator.http_auth import basic_credentials


def client_credentials_from_request() -> tuple[str | None, str | None]:
    """Client id and secret from HTTP Basic, or else from the form body (both are allowed)."""
    credentials = basic_credentials()
    if credentials is not None:
        return credentials
    return request.form.get("client_id"), request.form.get("client_secret")


def is_public(client: Client) -> bool:
    """A native app (no secret): it identifies itself by client_id alone and must use PKCE."""
    return not client.secret_hash


def authenticate_client(session: Session, *, public_allowed: bool = False) -> Client:
    """The calling client, or a 401 invalid_client error.

    A native app (public client) sends only its client_id, and only where Globus Auth allows it
    (`public_allowed`: the authorization-code and refresh grants); confidential clients always
    authenticate with their secret.
    """
    client_id, secret = client_credentials_from_request()
    if client_id and not secret and public_allowed:
        public = session.get(Client, client_id)
        if public is not None and is_public(public):
            return public
    if not client_id or not secret:
        raise invalid_client("Client authentication is required (HTTP Basic or client_id/client_secret).")
    client = session.get(Client, client_id)
    if client is None or is_public(client) or not check_client_secret(secret, client.secret_hash):
        raise invalid_client("Invalid client credentials.")
    return client
