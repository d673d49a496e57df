"""OpenID Connect discovery: the well-known configuration and the JWKS."""

from __future__ import annotations

from flask import current_app, jsonify

from emulator.auth import bp
from emulator.auth.issuing import issuer
from emulator.auth.keys import jwks, load_or_create_key
from emulator.auth.scope_catalog import EMAIL, OPENID, PROFILE, VIEW_IDENTITIES, VIEW_IDENTITY_SET


@bp.get("/.well-known/openid-configuration")
def openid_configuration():
    """Discovery document; every URL is absolute, based on the address the caller used."""
    base = issuer()
    return jsonify(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/v2/oauth2/authorize",
            "token_endpoint": f"{base}/v2/oauth2/token",
            "userinfo_endpoint": f"{base}/v2/oauth2/userinfo",
            "revocation_endpoint": f"{base}/v2/oauth2/token/revoke",
            "introspection_endpoint": f"{base}/v2/oauth2/token/introspect",
            "end_session_endpoint": f"{base}/v2/web/logout",
            "jwks_uri": f"{base}/jwk.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:globus:auth:grant_type:dependent_token",
            ],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS512", "RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": [OPENID, PROFILE, EMAIL, VIEW_IDENTITIES, VIEW_IDENTITY_SET],
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "azp",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "name",
                "email",
                "preferred_username",
                "organization",
                "identity_provider",
                "identity_provider_display_name",
                "identity_set",
                "last_authentication",
            ],
        }
    )


@bp.get("/jwk.json")
def jwk():
    """The public signing key as a JWKS."""
    return jsonify(jwks(load_or_create_key(current_app.instance_path)))
