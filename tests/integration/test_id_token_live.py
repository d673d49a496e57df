"""id_token validation against the emulator's real discovery document and JWKS over HTTP."""

from __future__ import annotations

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from app.services import user_clients
from app.services.globus.auth_flow import id_token_validator
from app.services.globus.id_token import IdTokenInvalid, IdTokenValidator
from tests.emulator.helpers import login_user_response

SCOPES = ["openid", "profile", "email"]


@pytest.fixture(scope="module")
def carol_id_token(live_portal) -> str:
    response = login_user_response(live_portal.emulator, "carol", SCOPES, nonce="nonce-for-carol")
    return response["id_token"]


def test_a_real_id_token_validates_with_its_nonce(live_portal, carol_id_token):
    with live_portal.context():
        claims = id_token_validator(user_clients.settings()).validate(carol_id_token, nonce="nonce-for-carol")
    assert claims["sub"] == live_portal.emulator.user("carol")["identity_id"]
    assert claims["iss"] == live_portal.emulator.manifest["issuer"]


def test_a_replayed_id_token_fails_the_nonce_of_a_new_login(live_portal, carol_id_token):
    with live_portal.context(), pytest.raises(IdTokenInvalid) as refused:
        id_token_validator(user_clients.settings()).validate(carol_id_token, nonce="nonce-of-a-later-login")
    assert refused.value.reason == "nonce"


def test_a_token_signed_with_another_key_under_the_real_kid_is_refused(live_portal, carol_id_token):
    header = jwt.get_unverified_header(carol_id_token)
    claims = jwt.decode(carol_id_token, options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {**claims, "sub": live_portal.emulator.user("alice")["identity_id"]},
        forger,
        algorithm=header["alg"],
        headers={"kid": header.get("kid")},
    )
    with live_portal.context(), pytest.raises(IdTokenInvalid) as refused:
        id_token_validator(user_clients.settings()).validate(forged, nonce="nonce-for-carol")
    assert refused.value.reason == "signature"


def test_a_token_naming_another_algorithm_than_its_key_is_refused(live_portal, carol_id_token):
    # The JWKS publishes the key for RS512; a token claiming RS256 under that kid is refused first.
    header = jwt.get_unverified_header(carol_id_token)
    claims = jwt.decode(carol_id_token, options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": header.get("kid")})
    with live_portal.context(), pytest.raises(IdTokenInvalid) as refused:
        id_token_validator(user_clients.settings()).validate(forged, nonce="nonce-for-carol")
    assert refused.value.reason == "algorithm"


def test_a_token_issued_to_another_client_is_refused(live_portal, carol_id_token):
    auth = live_portal.emulator.services["auth"]

    def discovery() -> dict:
        return requests.get(auth + ".well-known/openid-configuration", timeout=30).json()

    def jwks(document: dict) -> dict:
        return requests.get(document["jwks_uri"], timeout=30).json()

    validator = IdTokenValidator(
        client_id=live_portal.emulator.client("automation")["client_id"], fetch_discovery=discovery, fetch_jwks=jwks
    )
    with pytest.raises(IdTokenInvalid) as refused:
        validator.validate(carol_id_token, nonce="nonce-for-carol")
    assert refused.value.reason == "audience"


def test_the_portal_checks_the_configured_issuer(live_portal, carol_id_token):
    auth = live_portal.emulator.services["auth"]
    validator = IdTokenValidator(
        client_id=live_portal.emulator.client("portal")["client_id"],
        fetch_discovery=lambda: requests.get(auth + ".well-known/openid-configuration", timeout=30).json(),
        fetch_jwks=lambda document: requests.get(document["jwks_uri"], timeout=30).json(),
        expected_issuer="https://auth.globus.org",
    )
    with pytest.raises(IdTokenInvalid) as refused:
        validator.validate(carol_id_token, nonce="nonce-for-carol")
    assert refused.value.reason == "issuer"
