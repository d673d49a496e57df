"""The Globus Auth side of browser login: authorize URL (PKCE S256 + nonce), code exchange,
id_token validation, userinfo, token revocation and the Auth logout URL.

Every function takes the portal's GlobusSettings from its caller (the service layer).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import globus_sdk
from globus_sdk.services.auth.response import OAuthAuthorizationCodeResponse

from app.services.errors import (
    InvalidRequest,
    LoginRefused,
    ReauthenticationRequired,
    RemoteNotFound,
    RemotePermissionDenied,
)
from app.services.globus.clients import client_options, login_client
from app.services.globus.errors import globus_errors, json_document
from app.services.globus.id_token import IdTokenInvalid, IdTokenValidator
from app.services.globus.settings import REAL_GLOBUS_AUTH_URL, GlobusSettings

log = logging.getLogger(__name__)

_validators: dict[tuple[str, str, str | None], IdTokenValidator] = {}
_validators_lock = threading.Lock()


@dataclass(frozen=True)
class TokenGrant:
    """What a code exchange produced: tokens by resource server (in memory only) and the id claims."""

    by_resource_server: dict[str, dict[str, Any]] = field(repr=False)
    claims: dict[str, Any]


def pkce_challenge(verifier: str) -> str:
    """The S256 code_challenge for a PKCE code_verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorize_url(
    settings: GlobusSettings, *, redirect_uri: str, scopes: list[str], state: str, verifier: str, nonce: str
) -> str:
    """The Globus Auth authorize URL for this login attempt (refresh tokens requested)."""
    client = login_client(settings)
    client.oauth2_start_flow(redirect_uri, scopes, state=state, refresh_tokens=True)
    return client.oauth2_get_authorize_url(
        query_params={
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            "nonce": nonce,
        }
    )


def exchange_code(settings: GlobusSettings, *, redirect_uri: str, code: str, verifier: str, nonce: str) -> TokenGrant:
    """Exchange the code (with the PKCE verifier) and validate the id_token against `nonce`."""
    client = login_client(settings)
    try:
        with globus_errors("auth"):
            response = client.oauth2_token(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                response_class=OAuthAuthorizationCodeResponse,
            )
    except (ReauthenticationRequired, InvalidRequest, RemotePermissionDenied, RemoteNotFound) as exc:
        # A refused code (expired, reused, wrong verifier) is a failed login, not a reason to loop.
        log.warning("code exchange refused by Globus Auth: %s", type(exc).__name__)
        raise LoginRefused("code_exchange", "Globus Auth did not accept this login; please try again.") from None
    id_token = response.get("id_token")
    if not id_token:
        raise LoginRefused("id_token", "Globus Auth did not return an identity token.")
    try:
        claims = id_token_validator(settings).validate(id_token, nonce=nonce)
    except IdTokenInvalid as exc:
        log.warning("id_token refused: %s", exc.reason)
        raise LoginRefused(f"id_token_{exc.reason}", "The identity token from Globus Auth failed validation.") from None
    return TokenGrant(by_resource_server=dict(response.by_resource_server), claims=claims)


def id_token_validator(settings: GlobusSettings) -> IdTokenValidator:
    """The process-wide validator for the configured client and Auth service (keys cached)."""
    key = (settings.auth_url or REAL_GLOBUS_AUTH_URL, str(settings.client_id), settings.auth_issuer)
    with _validators_lock:
        validator = _validators.get(key)
        if validator is None:
            validator = _build_validator(settings)
            _validators[key] = validator
        return validator


def _build_validator(settings: GlobusSettings) -> IdTokenValidator:
    def fetch_discovery() -> dict[str, Any]:
        with globus_errors("auth"):
            return dict(json_document(login_client(settings).get_openid_configuration(), "auth"))

    def fetch_jwks(discovery: dict[str, Any]) -> dict[str, Any]:
        with globus_errors("auth"):
            return login_client(settings).get_jwk(discovery, as_pem=False)

    return IdTokenValidator(
        client_id=str(settings.client_id),
        fetch_discovery=fetch_discovery,
        fetch_jwks=fetch_jwks,
        expected_issuer=settings.auth_issuer,
    )


def fetch_userinfo(settings: GlobusSettings, access_token: str) -> dict[str, Any]:
    """Globus Auth userinfo for the user who owns `access_token` (includes identity_set)."""
    client = globus_sdk.AuthClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(access_token),
        base_url=settings.auth_url,
        **client_options(settings, for_worker=False),
    )
    with globus_errors("auth"):
        return dict(json_document(client.userinfo(), "auth"))


def revoke_token(settings: GlobusSettings, token: str, *, for_worker: bool = False) -> None:
    """Revoke one access or refresh token at Globus Auth (raises a domain error on failure)."""
    with globus_errors("auth"):
        login_client(settings, for_worker=for_worker).oauth2_revoke_token(token)


def logout_url(settings: GlobusSettings, *, redirect_uri: str, redirect_name: str) -> str:
    """Globus Auth's logout page, which returns the user to `redirect_uri` afterwards."""
    base = settings.auth_url or REAL_GLOBUS_AUTH_URL
    query = urlencode({"client": settings.client_id, "redirect_uri": redirect_uri, "redirect_name": redirect_name})
    return f"{base.rstrip('/')}/v2/web/logout?{query}"
