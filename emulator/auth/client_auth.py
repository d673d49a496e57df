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


def authenticate_client(session: Session) -> Client:
    """The calling client, or a 401 invalid_client error."""
    client_id, secret = client_credentials_from_request()
    if not client_id or not secret:
        raise invalid_client("Client authentication is required (HTTP Basic or client_id/client_secret).")
    client = session.get(Client, client_id)
    if client is None or not check_client_secret(secret, client.secret_hash):
        raise invalid_client("Invalid client credentials.")
    return client
