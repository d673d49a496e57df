"""globus_sdk's TokenStorage interface over the portal's encrypted token rows, for one user.

The rows themselves are the service layer's (app/services/token_records); they come in as a
`TokenRows` object, so this package never reaches back into the service layer. `on_refresh` is
what RefreshTokenAuthorizer calls after renewing an access token: it writes the new token back
through the rows' optimistic-locking path.
"""

from __future__ import annotations

import typing as t

import globus_sdk
from globus_sdk.token_storage import TokenStorage, TokenStorageData


class StoredRecord(t.Protocol):
    """What a stored row offers (app/services/token_records.TokenRecord), read-only."""

    @property
    def scopes(self) -> str: ...
    @property
    def access_token(self) -> str: ...
    @property
    def refresh_token(self) -> str | None: ...
    @property
    def expires_at(self) -> int: ...
    @property
    def token_type(self) -> str: ...
    @property
    def requested_scopes(self) -> str: ...


class TokenRows(t.Protocol):
    """The token table operations this storage needs (app/services/token_records provides them)."""

    def save_token(
        self,
        user_id: int,
        resource_server: str,
        *,
        scopes: str,
        expires_at: int,
        access_token: str,
        refresh_token: str | None,
        token_type: str | None = ...,
        requested_scopes: str | None = ...,
    ) -> int: ...

    def read_tokens(self, user_id: int) -> t.Mapping[str, StoredRecord]: ...

    def delete_tokens(self, user_id: int, resource_server: str | None = None) -> int: ...


class SqlTokenStorage(TokenStorage):
    """Token storage for one portal user (namespace = the user id)."""

    def __init__(self, user_id: int, rows: TokenRows, identity_id: str | None = None):
        super().__init__(namespace=f"user-{user_id}")
        self.user_id = user_id
        self.rows = rows
        self.identity_id = identity_id

    def store_token_data_by_resource_server(
        self, token_data_by_resource_server: t.Mapping[str, TokenStorageData]
    ) -> None:
        """Encrypt and store (insert or update) each resource server's token data."""
        for resource_server, data in token_data_by_resource_server.items():
            self.rows.save_token(
                self.user_id,
                resource_server,
                scopes=data.scope,
                expires_at=data.expires_at_seconds,
                access_token=data.access_token,
                refresh_token=data.refresh_token,
                token_type=data.token_type,
                requested_scopes=data.extra.get("requested_scopes"),
            )

    def get_token_data_by_resource_server(self) -> dict[str, TokenStorageData]:
        """Decrypt and return every stored token of this user."""
        return {
            rs: TokenStorageData(
                resource_server=rs,
                identity_id=self.identity_id,
                scope=record.scopes,
                access_token=record.access_token,
                refresh_token=record.refresh_token,
                expires_at_seconds=record.expires_at,
                token_type=record.token_type,
                extra={"requested_scopes": record.requested_scopes},
            )
            for rs, record in self.rows.read_tokens(self.user_id).items()
        }

    def remove_token_data(self, resource_server: str) -> bool:
        """Delete this user's token row for one resource server."""
        return self.rows.delete_tokens(self.user_id, resource_server) > 0

    def on_refresh(self, response: globus_sdk.OAuthTokenResponse) -> None:
        """RefreshTokenAuthorizer callback: store the renewed tokens."""
        self.store_token_response(response)

    def _extract_identity_id(self, token_response: globus_sdk.OAuthTokenResponse) -> str | None:
        # The user is already known; decoding a refreshed id_token again would cost a JWKS fetch.
        return self.identity_id
