"""Per-request globus_sdk clients built from a user's stored tokens (or the portal's own credentials).

Browser requests get short timeouts and few retries so a slow Globus turns into a 503 page well
before gunicorn's worker timeout; the worker (for_worker=True) may wait longer.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Mapping

import globus_sdk
from flask import current_app
from globus_sdk.transport import RetryConfig

from app.services import token_records
from app.services.errors import ReauthenticationRequired
from app.services.globus.call_observers import ObservedTransport, notify_refresh, service_prefixes
from app.services.globus.token_store import SqlTokenStorage
from app.security.token_cipher import TokenDecryptionError

AUTH_RESOURCE_SERVER = "auth.globus.org"
TRANSFER_RESOURCE_SERVER = "transfer.api.globus.org"
SEARCH_RESOURCE_SERVER = "search.api.globus.org"
# A stored token with less life than this is refreshed rather than reused (the SDK's own margin).
STILL_FRESH_SECONDS = 60


def client_options(
    for_worker: bool, config: Mapping[str, Any] | None = None, *, thread_transport: bool = False
) -> dict:
    """Transport, retry policy and app name for a browser request or (for_worker) a job.

    thread_transport=True reuses this thread's transport (kept-alive connections) instead of a
    new one; only for user clients, which carry no login-flow state.
    """
    config = current_app.config if config is None else config
    timeout = config["WORKER_HTTP_TIMEOUT"] if for_worker else config["GLOBUS_HTTP_TIMEOUT"]
    retries = config["WORKER_MAX_RETRIES"] if for_worker else config["GLOBUS_MAX_RETRIES"]
    # Observed: every call's latency and outcome per service feeds the metrics and /readyz.
    prefixes = service_prefixes(config)
    return {
        "transport": _thread_transport(timeout, prefixes) if thread_transport
        else ObservedTransport(http_timeout=timeout, service_prefixes=prefixes),
        "retry_config": RetryConfig(max_retries=retries, max_sleep=2 if not for_worker else 10),
        "app_name": "Science Gateway",
    }


_per_thread = threading.local()


def _thread_transport(timeout: float, prefixes: tuple[tuple[str, str], ...]) -> ObservedTransport:
    # One transport per thread (and timeout and service URLs) keeps upstream connections alive across requests
    # instead of opening a new one for every page. requests.Session is not thread-safe, hence
    # per thread; it refuses all cookies so nothing one user's response set reaches another's call.
    transports = _per_thread.__dict__.setdefault("transports", {})
    key = (timeout, prefixes)
    if key not in transports:
        transport = ObservedTransport(http_timeout=timeout, service_prefixes=prefixes)
        transport.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        transports[key] = transport
    return transports[key]


def login_client(
    *, for_worker: bool = False, config: Mapping[str, Any] | None = None
) -> globus_sdk.ConfidentialAppAuthClient:
    """A NEW confidential login client for the portal (flow state lives on it: never share one)."""
    config = current_app.config if config is None else config
    if not config.get("GLOBUS_CLIENT_ID") or not config.get("GLOBUS_CLIENT_SECRET"):
        raise RuntimeError(
            "GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET are not configured "
            "(or set GATEWAY_EMULATOR_MANIFEST to use the local emulator)"
        )
    return globus_sdk.ConfidentialAppAuthClient(
        config["GLOBUS_CLIENT_ID"],
        config["GLOBUS_CLIENT_SECRET"],
        base_url=config.get("GLOBUS_AUTH_URL"),
        **client_options(for_worker, config),
    )


class LazyLoginRefreshTokenAuthorizer(globus_sdk.RefreshTokenAuthorizer):
    """A RefreshTokenAuthorizer that builds its login client only when it must refresh.

    Most requests carry a still-valid access token, so building a confidential client (and its
    HTTP session) for each would be wasted work; an expired token, or a 401 that makes the SDK
    call handle_missing_authorization(), still refreshes exactly as the parent class does.
    """

    def __init__(
        self,
        refresh_token: str,
        *,
        for_worker: bool,
        config: Mapping[str, Any],
        single_flight: Callable[[], AbstractContextManager[Any]] | None = None,
        stored_token: Callable[[], tuple[str, int] | None] | None = None,
        **kwargs,
    ):
        self._login_client: globus_sdk.ConfidentialAppAuthClient | None = None
        self._login_client_options = {"for_worker": for_worker, "config": config}
        self._single_flight = single_flight
        self._stored_token = stored_token
        super().__init__(refresh_token, None, **kwargs)  # type: ignore[arg-type]

    def _get_new_access_token(self) -> None:
        """Refresh once per expiry per user, however many requests found the token expired.

        Each waits for the single right to refresh; the first refreshes and stores, the others
        then find a fresh token stored under them and use it instead of refreshing again.
        """
        if self._single_flight is None or self._stored_token is None:
            super()._get_new_access_token()
            return
        stale = self.access_token
        with self._single_flight():
            stored = self._stored_token()
            if stored is not None:
                token, expires_at = stored
                if token != stale and time.time() < expires_at - STILL_FRESH_SECONDS:
                    self.access_token, self.expires_at = token, expires_at
                    return
            super()._get_new_access_token()

    @property
    def auth_client(self) -> globus_sdk.ConfidentialAppAuthClient:
        """The portal's login client, built on first use."""
        if self._login_client is None:
            self._login_client = login_client(**self._login_client_options)
        return self._login_client

    @auth_client.setter
    def auth_client(self, client: globus_sdk.ConfidentialAppAuthClient | None) -> None:
        self._login_client = client

    def _get_token_response(self) -> globus_sdk.OAuthRefreshTokenResponse:
        # Every refresh of a user's token passes here (browser and worker): count each outcome.
        try:
            response = super()._get_token_response()
        except Exception:
            notify_refresh(False)
            raise
        notify_refresh(True)
        return response


def _authorizer(user_id: int, resource_server: str, for_worker: bool):
    try:
        record = token_records.read_token(user_id, resource_server)
    except TokenDecryptionError:
        current_app.logger.warning("stored %s token of user %s does not decrypt", resource_server, user_id)
        raise ReauthenticationRequired(scopes=()) from None
    if record is None:
        # No grant for this service (e.g. it was added after the user last logged in).
        raise ReauthenticationRequired(scopes=())
    if record.refresh_token is None:
        return globus_sdk.AccessTokenAuthorizer(record.access_token)
    storage = SqlTokenStorage(user_id)

    def stored_token() -> tuple[str, int] | None:
        current = token_records.read_token(user_id, resource_server)
        return (current.access_token, current.expires_at) if current is not None else None

    return LazyLoginRefreshTokenAuthorizer(
        record.refresh_token,
        for_worker=for_worker,
        config=current_app.config,
        single_flight=lambda: token_records.single_refresh(user_id, resource_server),
        stored_token=stored_token,
        access_token=record.access_token,
        expires_at=record.expires_at,
        on_refresh=storage.on_refresh,
    )


def transfer_client(user_id: int, *, for_worker: bool = False) -> globus_sdk.TransferClient:
    """A TransferClient acting as the user."""
    return globus_sdk.TransferClient(
        authorizer=_authorizer(user_id, TRANSFER_RESOURCE_SERVER, for_worker),
        base_url=current_app.config.get("GLOBUS_TRANSFER_URL"),
        **client_options(for_worker, thread_transport=True),
    )


def search_client(user_id: int, *, for_worker: bool = False) -> globus_sdk.SearchClient:
    """A SearchClient acting as the user."""
    return globus_sdk.SearchClient(
        authorizer=_authorizer(user_id, SEARCH_RESOURCE_SERVER, for_worker),
        base_url=current_app.config.get("GLOBUS_SEARCH_URL"),
        **client_options(for_worker, thread_transport=True),
    )


def auth_client(user_id: int, *, for_worker: bool = False) -> globus_sdk.AuthClient:
    """An AuthClient acting as the user (userinfo, identities)."""
    return globus_sdk.AuthClient(
        authorizer=_authorizer(user_id, AUTH_RESOURCE_SERVER, for_worker),
        base_url=current_app.config.get("GLOBUS_AUTH_URL"),
        **client_options(for_worker, thread_transport=True),
    )
