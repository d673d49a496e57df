"""globus_sdk clients for a user (from their stored tokens) or for the portal's own credentials.

Everything a client needs comes in as arguments: GlobusSettings (credentials, URLs, limits) and,
for a user's client, a UserTokens source (their stored tokens, the single right to refresh, the
write-back). Browser requests get short timeouts and few retries, so a slow Globus turns into a
503 page well before gunicorn's worker timeout; the worker (for_worker=True) may wait longer.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Protocol
from urllib.parse import urlsplit

import globus_sdk
import requests
from globus_sdk.transport import RetryConfig

from app.services.errors import ReauthenticationRequired
from app.services.globus.call_observers import ObservedTransport, notify_refresh
from app.services.globus.settings import GlobusSettings

AUTH_RESOURCE_SERVER = "auth.globus.org"
TRANSFER_RESOURCE_SERVER = "transfer.api.globus.org"
SEARCH_RESOURCE_SERVER = "search.api.globus.org"
# The client types the service layer hands around (it does not import globus_sdk itself).
TransferClient = globus_sdk.TransferClient
SearchClient = globus_sdk.SearchClient
AuthClient = globus_sdk.AuthClient
ConfidentialAppAuthClient = globus_sdk.ConfidentialAppAuthClient
# A stored token with less life than this is refreshed rather than reused (the SDK's own margin).
STILL_FRESH_SECONDS = 60


@dataclass(frozen=True)
class StoredGrant:
    """One resource server's tokens as the caller holds them (in memory only)."""

    access_token: str
    refresh_token: str | None
    expires_at: int

    def __repr__(self) -> str:  # keep tokens out of tracebacks and debug output
        return f"StoredGrant(expires_at={self.expires_at}, refreshable={self.refresh_token is not None})"


class UserTokens(Protocol):
    """Where a user's tokens live; the service layer implements it over its token tables."""

    def grant(self, resource_server: str) -> StoredGrant | None:
        """The current tokens for `resource_server`, or None when the user holds none (may be remembered)."""

    def reread(self, resource_server: str) -> StoredGrant | None:
        """The tokens as stored right now, bypassing anything remembered (another process may have refreshed)."""

    def single_refresh(self, resource_server: str) -> AbstractContextManager[Any]:
        """Hold the one right to refresh this token (others wait, then reuse what was stored)."""

    def store_refresh(self, response: globus_sdk.OAuthTokenResponse) -> None:
        """Keep the tokens a refresh returned."""


class EnvironmentProxies:
    """The proxy settings (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, any case) read ONCE.

    requests otherwise looks them up in os.environ, and walks NO_PROXY, on every call it sends
    (its `trust_env`): about 0.7 ms of every page. The portal reads them when it starts, decides
    once per upstream host whether to go through a proxy, and sends every call the same way as
    requests would have. Changing them therefore means restarting the portal.
    """

    def __init__(self, environ: Mapping[str, str]):
        proxies: dict[str, str] = {}
        # Lower-case names win over upper-case ones, as in urllib and requests.
        for name in sorted(environ, key=lambda n: n.islower()):
            value = environ[name]
            if value and name.lower().endswith("_proxy"):
                proxies[name.lower()[: -len("_proxy")]] = value
        self._proxies = proxies
        self._by_origin: dict[tuple[str, str], dict[str, str]] = {}

    def for_url(self, url: str) -> dict[str, str]:
        """The `proxies` argument for a request to `url` ({} to connect directly)."""
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        chosen = self._by_origin.get(origin)
        if chosen is None:
            proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
            # requests' own NO_PROXY rules (host suffixes, host:port, CIDR ranges), decided once.
            no_proxy = self._proxies.get("no")
            bypass = bool(no_proxy) and requests.utils.should_bypass_proxies(url, no_proxy=no_proxy)
            chosen = {parts.scheme: proxy} if proxy and not bypass else {}
            self._by_origin[origin] = chosen
        return chosen


# Read when the process starts (each gunicorn worker imports this module once).
PROCESS_PROXIES = EnvironmentProxies(os.environ)


class ProxiesReadOnceSession(requests.Session):
    """A requests.Session that never consults the environment per call (see EnvironmentProxies)."""

    def __init__(self, proxies: EnvironmentProxies):
        super().__init__()
        self.trust_env = False  # no per-call environment, ~/.netrc or CA-bundle variable lookups
        self.environment_proxies = proxies

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send as requests does, with the proxies chosen for the request's host at start."""
        if not kwargs.get("proxies"):
            kwargs["proxies"] = self.environment_proxies.for_url(request.url or "")
        return super().send(request, **kwargs)


def _observed_transport(timeout: float, prefixes: tuple[tuple[str, str], ...]) -> ObservedTransport:
    transport = ObservedTransport(http_timeout=timeout, service_prefixes=prefixes)
    transport.session.close()
    transport.session = ProxiesReadOnceSession(PROCESS_PROXIES)
    return transport


def client_options(settings: GlobusSettings, for_worker: bool, *, thread_transport: bool = False) -> dict:
    """Transport, retry policy and app name for a browser request or (for_worker) a job.

    thread_transport=True reuses this thread's transport (kept-alive connections) instead of a
    new one; only for user clients, which carry no login-flow state.
    """
    timeout = settings.timeout(for_worker)
    # Observed: every call's latency and outcome per service feeds the metrics and /readyz.
    prefixes = settings.service_prefixes()
    return {
        "transport": _thread_transport(timeout, prefixes)
        if thread_transport
        else _observed_transport(timeout, prefixes),
        "retry_config": RetryConfig(max_retries=settings.retries(for_worker), max_sleep=10 if for_worker else 2),
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
        transport = _observed_transport(timeout, prefixes)
        transport.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        transports[key] = transport
    return transports[key]


def login_client(settings: GlobusSettings, *, for_worker: bool = False) -> globus_sdk.ConfidentialAppAuthClient:
    """A NEW confidential login client for the portal (flow state lives on it: never share one)."""
    if not settings.client_id or not settings.client_secret:
        raise RuntimeError(
            "GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET are not configured "
            "(or set GATEWAY_EMULATOR_MANIFEST to use the local emulator)"
        )
    return globus_sdk.ConfidentialAppAuthClient(
        settings.client_id,
        settings.client_secret,
        base_url=settings.auth_url,
        **client_options(settings, for_worker),
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
        settings: GlobusSettings,
        single_flight: Callable[[], AbstractContextManager[Any]] | None = None,
        stored_token: Callable[[], tuple[str, int] | None] | None = None,
        **kwargs,
    ):
        self._login_client: globus_sdk.AuthLoginClient | None = None
        self._settings = settings
        self._for_worker = for_worker
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
    def auth_client(self) -> globus_sdk.AuthLoginClient:
        """The portal's login client, built on first use."""
        if self._login_client is None:
            self._login_client = login_client(self._settings, for_worker=self._for_worker)
        return self._login_client

    @auth_client.setter
    def auth_client(self, client: globus_sdk.AuthLoginClient | None) -> None:
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


def user_authorizer(
    tokens: UserTokens, resource_server: str, settings: GlobusSettings, *, for_worker: bool = False
) -> globus_sdk.authorizers.GlobusAuthorizer:
    """The authorizer for one of the user's resource servers: renewing when a refresh token exists."""
    grant = tokens.grant(resource_server)
    if grant is None:
        # No grant for this service (e.g. it was added after the user last logged in).
        raise ReauthenticationRequired(scopes=())
    if grant.refresh_token is None:
        return globus_sdk.AccessTokenAuthorizer(grant.access_token)

    def stored_token() -> tuple[str, int] | None:
        current = tokens.reread(resource_server)
        return (current.access_token, current.expires_at) if current is not None else None

    return LazyLoginRefreshTokenAuthorizer(
        grant.refresh_token,
        for_worker=for_worker,
        settings=settings,
        single_flight=lambda: tokens.single_refresh(resource_server),
        stored_token=stored_token,
        access_token=grant.access_token,
        expires_at=grant.expires_at,
        on_refresh=tokens.store_refresh,
    )


def transfer_client(
    tokens: UserTokens, settings: GlobusSettings, *, for_worker: bool = False
) -> globus_sdk.TransferClient:
    """A TransferClient acting as the user."""
    return globus_sdk.TransferClient(
        authorizer=user_authorizer(tokens, TRANSFER_RESOURCE_SERVER, settings, for_worker=for_worker),
        base_url=settings.transfer_url,
        **client_options(settings, for_worker, thread_transport=True),
    )


def search_client(tokens: UserTokens, settings: GlobusSettings, *, for_worker: bool = False) -> globus_sdk.SearchClient:
    """A SearchClient acting as the user."""
    return globus_sdk.SearchClient(
        authorizer=user_authorizer(tokens, SEARCH_RESOURCE_SERVER, settings, for_worker=for_worker),
        base_url=settings.search_url,
        **client_options(settings, for_worker, thread_transport=True),
    )


def auth_client(tokens: UserTokens, settings: GlobusSettings, *, for_worker: bool = False) -> globus_sdk.AuthClient:
    """An AuthClient acting as the user (userinfo, identities)."""
    return globus_sdk.AuthClient(
        authorizer=user_authorizer(tokens, AUTH_RESOURCE_SERVER, settings, for_worker=for_worker),
        base_url=settings.auth_url,
        **client_options(settings, for_worker, thread_transport=True),
    )


def anonymous_search_client(settings: GlobusSettings) -> globus_sdk.SearchClient:
    """A SearchClient with no token: Search then answers with records visible to `public` only."""
    return globus_sdk.SearchClient(
        base_url=settings.search_url, **client_options(settings, False, thread_transport=True)
    )
