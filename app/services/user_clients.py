"""The SDK clients the services use, built from the portal's settings and a user's stored tokens.

This is where the service layer hands app/services/globus/ what it needs: GlobusSettings read
once from the configuration, and the user's tokens as a UserTokens source over the token tables
(token_records), with the single-flight refresh and the write-back. Within a request, a user's
TransferClient is built once, so its kept-alive connection is reused.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import Any

from flask import current_app, g, has_request_context

from app.security.token_cipher import TokenDecryptionError
from app.services import token_records
from app.services.errors import ReauthenticationRequired
from app.services.globus import clients
from app.services.globus.clients import StoredGrant
from app.services.globus.settings import GlobusSettings
from app.services.globus.token_store import SqlTokenStorage

log = logging.getLogger(__name__)


def settings() -> GlobusSettings:
    """This app's GlobusSettings, built once from its configuration."""
    built = current_app.extensions.get("globus_settings")
    if built is None:
        built = current_app.extensions["globus_settings"] = GlobusSettings.from_config(current_app.config)
    return built


class DatabaseUserTokens:
    """A user's tokens as stored by the portal (encrypted rows), for the client factories.

    Each resource server's row is read and decrypted once per instance (one per request and
    user, see request_tokens); `reread` goes back to the table, for the single-flight refresh
    that must see what another process stored meanwhile.
    """

    def __init__(self, user_id: int):
        self.user_id = user_id
        self._storage = SqlTokenStorage(user_id, rows=token_records)
        self._grants: dict[str, StoredGrant | None] = {}

    def grant(self, resource_server: str) -> StoredGrant | None:
        """The stored tokens (read once); a row that no longer decrypts means logging in again."""
        if resource_server not in self._grants:
            self._grants[resource_server] = self._read(resource_server, fresh=False)
        return self._grants[resource_server]

    def reread(self, resource_server: str) -> StoredGrant | None:
        """The stored tokens as committed right now (on a connection of its own)."""
        self._grants[resource_server] = grant = self._read(resource_server, fresh=True)
        return grant

    def _read(self, resource_server: str, *, fresh: bool) -> StoredGrant | None:
        try:
            record = token_records.read_token(self.user_id, resource_server, fresh=fresh)
        except TokenDecryptionError:
            log.warning("stored %s token of user %s does not decrypt", resource_server, self.user_id)
            raise ReauthenticationRequired(scopes=()) from None
        if record is None:
            return None
        return StoredGrant(record.access_token, record.refresh_token, record.expires_at)

    def single_refresh(self, resource_server: str) -> AbstractContextManager[Any]:
        """The one right to refresh (token_records.single_refresh)."""
        return token_records.single_refresh(self.user_id, resource_server)

    def store_refresh(self, response: Any) -> None:
        """Write a refresh's tokens back through the optimistic-locking path."""
        self._storage.on_refresh(response)
        # What this instance remembered is stale now; the next grant() reads the new row.
        self._grants.clear()


def login_client(*, for_worker: bool = False) -> clients.ConfidentialAppAuthClient:
    """A new confidential login client for the portal."""
    return clients.login_client(settings(), for_worker=for_worker)


def transfer_client(user_id: int, *, for_worker: bool = False) -> clients.TransferClient:
    """A TransferClient acting as the user."""
    return clients.transfer_client(DatabaseUserTokens(user_id), settings(), for_worker=for_worker)


def search_client(user_id: int, *, for_worker: bool = False) -> clients.SearchClient:
    """A SearchClient acting as the user."""
    return clients.search_client(DatabaseUserTokens(user_id), settings(), for_worker=for_worker)


def auth_client(user_id: int, *, for_worker: bool = False) -> clients.AuthClient:
    """An AuthClient acting as the user."""
    return clients.auth_client(DatabaseUserTokens(user_id), settings(), for_worker=for_worker)


def act_with_tokens(user_id: int, tokens: clients.UserTokens) -> None:
    """For the rest of this request, the user's clients use `tokens` instead of the stored ones.

    The JSON API's seam: it acts only with the caller's bearer token's dependent tokens
    (app/services/api_auth.py), through the same services the pages use.
    """
    g.setdefault("user_tokens", {})[user_id] = tokens
    g.setdefault("transfer_clients", {}).pop(user_id, None)


def request_tokens(user_id: int) -> clients.UserTokens:
    """The user's token source for this request: each row read and decrypted once per request."""
    if not has_request_context():
        return DatabaseUserTokens(user_id)
    sources = g.setdefault("user_tokens", {})
    if user_id not in sources:
        sources[user_id] = DatabaseUserTokens(user_id)
    return sources[user_id]


def request_transfer_client(user_id: int) -> clients.TransferClient:
    """The user's TransferClient for this request: built once, so its connection is reused."""
    if not has_request_context():
        return transfer_client(user_id)
    cache = g.setdefault("transfer_clients", {})
    if user_id not in cache:
        cache[user_id] = clients.transfer_client(request_tokens(user_id), settings())
    return cache[user_id]


def side_transfer_client(tokens: clients.UserTokens) -> clients.TransferClient:
    """A TransferClient for a side call (app/services/side_calls.py) from the request's token source.

    Built on the side thread, so it uses that thread's kept-alive connection; the tokens were
    already read by the request, so nothing is read again.
    """
    return clients.transfer_client(tokens, settings())


def anonymous_search_client() -> clients.SearchClient:
    """A SearchClient for a visitor who is not logged in (public records only)."""
    return clients.anonymous_search_client(settings())
