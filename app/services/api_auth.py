"""Bearer authentication for the JSON API: who is calling, and the tokens to act for them.

The pattern of a Globus resource server (globus/action-provider-tools, argonne-lcf's facility
API): the caller holds a token for the portal's `gateway_api` scope; the portal introspects it
with its own client credentials (cached 30 s by the token's SHA-256) and requires it active, for
that scope, addressed to the portal (aud), within exp/nbf (a few seconds' leeway). Transfer and
Search are then called with DEPENDENT tokens minted for that caller token (cached encrypted until
they expire, fetched again once when Globus refuses one). The user's stored browser tokens are
never used for an API request. The token is never logged: at most its last four characters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.identity import Identity, User
from app.security.keyring_config import current_keyring
from app.services import api_caches, user_clients, users
from app.services.errors import DomainError, ReauthenticationRequired
from app.services.globus import introspection
from app.services.globus.clients import StoredGrant

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 5
# RFC 6750 b64token, and a generous cap on length (Globus tokens are ~70 characters).
BEARER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
MAX_TOKEN_LENGTH = 2048
API_SCOPE_SUFFIX = "gateway_api"

T = TypeVar("T")


class BearerRejected(DomainError):
    """The request's bearer token is missing or not acceptable (RFC 6750 error codes)."""

    def __init__(self, message: str, *, bearer_error: str | None, status_code: int = 401, scope: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.bearer_error = bearer_error
        self.code = bearer_error or "missing_token"
        self.scope = scope

    def www_authenticate(self, realm: str) -> str:
        """The WWW-Authenticate header value for this refusal."""
        parts = [f'Bearer realm="{realm}"']
        if self.bearer_error:
            parts.append(f'error="{self.bearer_error}"')
            parts.append('error_description="{}"'.format(self.message.replace('"', "'")))
        if self.scope:
            parts.append(f'scope="{self.scope}"')
        return ", ".join(parts)


@dataclass(frozen=True)
class ApiCaller:
    """An authenticated API caller: the gateway user, the Globus client holding the token."""

    user_id: int
    identity_id: str
    client_id: str
    scopes: tuple[str, ...]
    identity_set: tuple[str, ...]
    token_hash: str


def api_scope(client_id: str) -> str:
    """The scope callers must hold: https://auth.globus.org/scopes/<portal client id>/gateway_api."""
    return f"https://auth.globus.org/scopes/{client_id}/{API_SCOPE_SUFFIX}"


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header, or a refusal saying what is wrong."""
    if not authorization:
        raise BearerRejected(
            "This API needs an 'Authorization: Bearer <Globus access token>' header.", bearer_error=None
        )
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise BearerRejected("The Authorization header must be 'Bearer <token>'.", bearer_error="invalid_request")
    if len(token) > MAX_TOKEN_LENGTH or not BEARER_PATTERN.match(token):
        raise BearerRejected("The bearer token is malformed.", bearer_error="invalid_token")
    return token


def _describe(settings: Any, token: str, key: str) -> dict[str, Any]:
    cached = api_caches.introspections.get(key)
    if cached is not None:
        return cached
    document = introspection.introspect(settings, token)
    # Only what the checks need: never the token, and nothing the cache would have to protect.
    kept = {
        name: document.get(name)
        for name in ("active", "scope", "client_id", "sub", "username", "name", "email", "exp", "nbf", "aud")
    }
    kept["identity_set"] = [str(i) for i in document.get("identity_set") or [] if isinstance(i, str)]
    api_caches.introspections.put(key, kept, api_caches.clock() + api_caches.INTROSPECTION_TTL_SECONDS)
    return kept


def check_claims(claims: Mapping[str, Any], *, client_id: str, required_scope: str, now: float) -> None:
    """Refuse an introspected token that is inactive, expired, not yet valid, for another audience or scope."""
    if not claims.get("active"):
        raise BearerRejected("The token is not active (expired, revoked or unknown).", bearer_error="invalid_token")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or exp + LEEWAY_SECONDS < now:
        raise BearerRejected("The token has expired.", bearer_error="invalid_token")
    if isinstance(nbf, int | float) and nbf - LEEWAY_SECONDS > now:
        raise BearerRejected("The token is not valid yet.", bearer_error="invalid_token")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise BearerRejected("The token was not issued for this gateway.", bearer_error="invalid_token")
    if required_scope not in str(claims.get("scope") or "").split():
        raise BearerRejected(
            "The token does not carry this gateway's API scope.",
            bearer_error="insufficient_scope",
            status_code=403,
            scope=required_scope,
        )
    if not claims.get("sub"):
        raise BearerRejected("The token names no identity.", bearer_error="invalid_token")


def authenticate(authorization: str | None) -> ApiCaller:
    """The caller of this request, from its Authorization header (introspected, checked, user found or created)."""
    token = bearer_token(authorization)
    key = api_caches.token_hash(token)
    settings = user_clients.settings()
    if not settings.client_id:
        raise RuntimeError("GLOBUS_CLIENT_ID is not configured; the API cannot check tokens")
    claims = _describe(settings, token, key)
    try:
        check_claims(
            claims, client_id=settings.client_id, required_scope=api_scope(settings.client_id), now=api_caches.clock()
        )
    except BearerRejected as refusal:
        log.info("API token ...%s refused: %s", token[-4:], refusal.code)
        raise
    identity_set = tuple(claims.get("identity_set") or ()) or (str(claims["sub"]),)
    caller = ApiCaller(
        user_id=_user_for(claims, identity_set),
        identity_id=str(claims["sub"]),
        client_id=str(claims.get("client_id") or ""),
        scopes=tuple(str(claims.get("scope") or "").split()),
        identity_set=identity_set,
        token_hash=key,
    )
    user_clients.act_with_tokens(caller.user_id, DependentUserTokens(token, key))
    return caller


def _user_for(claims: Mapping[str, Any], identity_set: tuple[str, ...]) -> int:
    """The gateway user of the token's account; created on first use (no browser login needed)."""
    primary = str(claims["sub"])
    user_id = db.session.scalar(select(User.id).where(User.primary_identity_id == primary))
    if user_id is None:
        user_id = db.session.scalar(
            select(Identity.user_id).where(Identity.identity_id.in_(set(identity_set) | {primary})).limit(1)
        )
    if user_id is not None:
        return int(user_id)
    login_claims = {
        "sub": primary,
        "preferred_username": claims.get("username"),
        "name": claims.get("name"),
        "email": claims.get("email"),
    }
    # Committed at once (like the login callback): the account exists whatever this request does,
    # and a GET may create it without counting as a write of its own.
    try:
        new_id = users.upsert_user_from_login(login_claims, None)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # a concurrent first request created the same account
        existing = db.session.scalar(select(User.id).where(User.primary_identity_id == primary))
        if existing is None:
            raise
        return int(existing)
    log.info("API created gateway user %s for identity %s", new_id, primary)
    return new_id


class DependentUserTokens:
    """The UserTokens source of an API request: dependent tokens of the caller's token.

    Read from the encrypted cache, or minted by Globus Auth for this caller token. They carry no
    refresh token (the caller's token is what renews them), so clients use them as they are.
    """

    def __init__(self, token: str, key: str):
        self._token = token
        self._key = key
        self._grants: dict[str, StoredGrant] | None = None
        self.fetched = False

    def __repr__(self) -> str:  # never the tokens
        return f"DependentUserTokens(key={self._key[:8]}..., fetched={self.fetched})"

    def _load(self) -> dict[str, StoredGrant]:
        if self._grants is None:
            keyring = current_keyring()
            self._grants = api_caches.dependent_tokens.get(keyring, self._key)
            if self._grants is None:
                self._grants = self._fetch(keyring)
        return self._grants

    def _fetch(self, keyring: Any) -> dict[str, StoredGrant]:
        try:
            minted = introspection.dependent_tokens(user_clients.settings(), self._token)
        except ReauthenticationRequired:
            # Globus refused to mint: the caller's token died since it was introspected.
            api_caches.introspections.pop(self._key)
            raise BearerRejected("Globus Auth no longer accepts the token.", bearer_error="invalid_token") from None
        self.fetched = True
        grants = {item.resource_server: (item.grant, item.scope) for item in minted}
        api_caches.dependent_tokens.put(keyring, self._key, grants)
        return {server: grant for server, (grant, _scope) in grants.items()}

    def grant(self, resource_server: str) -> StoredGrant | None:
        """The dependent token for `resource_server`, or None when the API scope does not depend on it."""
        return self._load().get(resource_server)

    def reread(self, resource_server: str) -> StoredGrant | None:
        """Nothing to reread: the same tokens."""
        return self.grant(resource_server)

    def single_refresh(self, resource_server: str) -> AbstractContextManager[Any]:
        """No refresh token, so nobody refreshes: nothing to hold."""
        return nullcontext()

    def store_refresh(self, response: Any) -> None:
        """Never called (no refresh tokens); refusing keeps a misuse from passing silently."""
        raise RuntimeError("dependent tokens are not refreshed; fetch new ones with the caller's token")

    def refetch(self) -> bool:
        """Drop the cached tokens and mint new ones; False when these were just minted (no point)."""
        if self.fetched:
            return False
        api_caches.dependent_tokens.drop(self._key)
        self._grants = self._fetch(current_keyring())
        return True


def call_as_caller(caller: ApiCaller, action: Callable[[], T]) -> T:
    """Run a service call for the caller; if Globus refuses a cached dependent token, fetch new ones and retry once.

    A refused token means the call did nothing upstream, so running it again is safe (and
    submissions are at-most-once by their submission id anyway).
    """
    try:
        return action()
    except ReauthenticationRequired as refused:
        if refused.scopes:
            raise
        tokens = user_clients.request_tokens(caller.user_id)
        if not isinstance(tokens, DependentUserTokens) or not tokens.refetch():
            raise BearerRejected(
                "Globus refused the tokens this gateway holds for you.", bearer_error="invalid_token"
            ) from None
        user_clients.act_with_tokens(caller.user_id, tokens)
        log.info("dependent tokens refused by Globus; fetched new ones once and retried")
    try:
        return action()
    except ReauthenticationRequired as refused:
        if refused.scopes:
            raise
        raise BearerRejected(
            "Globus refused the tokens this gateway holds for you.", bearer_error="invalid_token"
        ) from None
