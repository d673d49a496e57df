"""OIDC discovery, the JWKS, and ID tokens checked both by the SDK and by hand."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _public_key(jwk: dict) -> rsa.RSAPublicKey:
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(_b64decode(jwk["e"]), "big"), int.from_bytes(_b64decode(jwk["n"]), "big")
    )
    return numbers.public_key()


def test_openid_configuration(emulator, portal_login):
    config = portal_login.get_openid_configuration()
    issuer = emulator.manifest["issuer"]
    assert config["issuer"] == issuer
    assert config["jwks_uri"] == f"{issuer}/jwk.json"
    assert config["authorization_endpoint"] == f"{issuer}/v2/oauth2/authorize"
    assert config["token_endpoint"] == f"{issuer}/v2/oauth2/token"
    assert config["userinfo_endpoint"] == f"{issuer}/v2/oauth2/userinfo"
    assert config["revocation_endpoint"] == f"{issuer}/v2/oauth2/token/revoke"
    assert config["introspection_endpoint"] == f"{issuer}/v2/oauth2/token/introspect"
    assert config["id_token_signing_alg_values_supported"] == ["RS512", "RS256"]


def test_jwks_publishes_one_rsa_signing_key(portal_login):
    jwk = portal_login.get_jwk()["keys"][0]
    assert (jwk["kty"], jwk["use"], jwk["alg"]) == ("RSA", "sig", "RS512")
    assert _public_key(jwk).key_size == 2048
    assert portal_login.get_jwk(as_pem=True).key_size == 2048


def test_id_token_signature_and_claims(emulator, portal, alice_login):
    header_b64, claims_b64, signature_b64 = alice_login["id_token"].split(".")
    header = json.loads(_b64decode(header_b64))
    jwks = requests.get(f"{emulator.manifest['issuer']}/jwk.json", timeout=30).json()
    key = jwks["keys"][0]
    assert header == {"alg": "RS512", "typ": "JWT", "kid": key["kid"]}
    _public_key(key).verify(
        _b64decode(signature_b64), f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA512()
    )
    tampered = json.loads(_b64decode(claims_b64)) | {"sub": "someone-else"}
    tampered_b64 = base64.urlsafe_b64encode(json.dumps(tampered).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        _public_key(key).verify(
            _b64decode(signature_b64), f"{header_b64}.{tampered_b64}".encode(), padding.PKCS1v15(), hashes.SHA512()
        )

    claims = alice_login.decode_id_token()
    alice = emulator.user("alice")
    assert claims["iss"] == emulator.manifest["issuer"]
    assert claims["aud"] == claims["azp"] == portal["client_id"]
    assert claims["sub"] == alice["identity_id"]
    assert claims["nonce"] == "alice-nonce"
    assert claims["auth_time"] <= claims["iat"] < claims["exp"]
    assert (claims["name"], claims["email"], claims["preferred_username"]) == (
        alice["name"],
        alice["email"],
        alice["username"],
    )
    assert claims["identity_provider"]
    assert {member["sub"] for member in claims["identity_set"]} == {alice["identity_id"], *alice["linked_identities"]}


def test_id_token_for_another_audience_is_rejected_by_the_sdk(emulator, alice_login, automation_login):
    import jwt  # the SDK's own dependency, used here exactly as the SDK uses it

    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(
            alice_login["id_token"],
            key=automation_login.get_jwk(as_pem=True),
            algorithms=["RS512"],
            audience=emulator.client("automation")["client_id"],
        )
