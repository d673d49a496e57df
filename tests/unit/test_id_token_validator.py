"""id_token validation with crafted tokens: our own RSA keys and a local JWKS (no network)."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.services.globus.id_token import IdTokenInvalid, IdTokenValidator

ISSUER = "https://auth.example.org"
CLIENT = "portal-client-id"
NONCE = "nonce-of-this-login"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _key()
OTHER_KEY = _key()


def _jwk(private_key, kid: str) -> dict:
    entry = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    return {**entry, "kid": kid, "use": "sig", "alg": "RS256"}


class FakeAuth:
    """Discovery and JWKS as plain functions, counting fetches."""

    def __init__(self, keys: list[dict]):
        self.keys = keys
        self.discovery_fetches = 0
        self.jwks_fetches = 0

    def discovery(self) -> dict:
        self.discovery_fetches += 1
        return {
            "issuer": ISSUER,
            "jwks_uri": "https://auth.example.org/jwk.json",
            "id_token_signing_alg_values_supported": ["RS512", "RS256"],
        }

    def jwks(self, _discovery: dict) -> dict:
        self.jwks_fetches += 1
        return {"keys": list(self.keys)}


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "identity-1",
        "aud": CLIENT,
        "azp": CLIENT,
        "iat": now,
        "exp": now + 600,
        "nonce": NONCE,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _token(claims: dict, key=SIGNING_KEY, kid="k1", algorithm="RS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def auth() -> FakeAuth:
    return FakeAuth([_jwk(SIGNING_KEY, "k1")])


@pytest.fixture
def validator(auth) -> IdTokenValidator:
    return IdTokenValidator(client_id=CLIENT, fetch_discovery=auth.discovery, fetch_jwks=auth.jwks)


def test_a_good_token_validates_and_keys_are_cached(validator, auth):
    assert validator.validate(_token(_claims()), nonce=NONCE)["sub"] == "identity-1"
    validator.validate(_token(_claims(sub="identity-2")), nonce=NONCE)
    assert auth.jwks_fetches == 1 and auth.discovery_fetches == 1


@pytest.mark.parametrize(
    "token_factory, reason",
    [
        (lambda: _token(_claims(), key=OTHER_KEY), "signature"),  # right kid, wrong key
        (lambda: _token(_claims(), key=OTHER_KEY, kid="unknown"), "signature"),
        (lambda: _token(_claims(iss="https://evil.example.org")), "issuer"),
        (lambda: _token(_claims(aud="another-client", azp="another-client")), "audience"),
        (lambda: _token(_claims(aud=[CLIENT, "another-client"], azp="another-client")), "authorized_party"),
        (lambda: _token(_claims(aud=[CLIENT, "another-client"], azp=None)), "authorized_party"),
        (lambda: _token(_claims(iat=int(time.time()) - 4000, exp=int(time.time()) - 3000)), "expired"),
        (lambda: _token(_claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)), "issued_at"),
        (lambda: _token(_claims(nonce="nonce-of-an-earlier-login")), "nonce"),  # replayed id_token
        (lambda: _token(_claims(nonce=None)), "nonce"),
        (lambda: _token(_claims(nonce="nönce-of-this-login")), "nonce"),  # non-ASCII: was a TypeError (500)
        (lambda: _token(_claims(exp=None)), "invalid"),
        (
            lambda: jwt.encode(
                _claims(), "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256", headers={"kid": "k1"}
            ),
            "algorithm",
        ),
        (lambda: jwt.encode(_claims(), None, algorithm="none"), "algorithm"),
        (lambda: "not.a.jwt", "malformed"),
    ],
)
def test_untrustworthy_tokens_are_refused(validator, token_factory, reason):
    with pytest.raises(IdTokenInvalid) as refused:
        validator.validate(token_factory(), nonce=NONCE)
    assert refused.value.reason == reason


def test_a_rotated_signing_key_is_fetched_once_when_its_kid_appears(auth):
    # The validator's clock only paces JWKS refetches here; claims use real time for PyJWT.
    clock = [time.time()]
    validator = IdTokenValidator(
        client_id=CLIENT, fetch_discovery=auth.discovery, fetch_jwks=auth.jwks, clock=lambda: clock[0]
    )
    assert validator.validate(_token(_claims()), nonce=NONCE)
    auth.keys.append(_jwk(OTHER_KEY, "k2"))
    clock[0] += 61
    assert validator.validate(_token(_claims(), key=OTHER_KEY, kid="k2"), nonce=NONCE)["sub"] == "identity-1"
    assert auth.jwks_fetches == 2


def test_unknown_kids_do_not_refetch_more_than_once_a_minute(validator, auth):
    validator.validate(_token(_claims()), nonce=NONCE)
    for _ in range(5):
        with pytest.raises(IdTokenInvalid):
            validator.validate(_token(_claims(), key=OTHER_KEY, kid="attacker"), nonce=NONCE)
    assert auth.jwks_fetches == 1


def test_configured_issuer_wins_over_discovery(auth):
    validator = IdTokenValidator(
        client_id=CLIENT,
        fetch_discovery=auth.discovery,
        fetch_jwks=auth.jwks,
        expected_issuer="https://configured.example.org",
    )
    with pytest.raises(IdTokenInvalid) as refused:
        validator.validate(_token(_claims()), nonce=NONCE)
    assert refused.value.reason == "issuer"
    assert validator.validate(_token(_claims(iss="https://configured.example.org")), nonce=NONCE)


class GenerousAuth(FakeAuth):
    """An Auth service whose discovery document advertises more algorithms than Globus uses."""

    def discovery(self) -> dict:
        document = super().discovery()
        document["id_token_signing_alg_values_supported"] = ["RS256", "RS384", "RS512", "PS256", "ES256"]
        return document


@pytest.mark.parametrize("algorithm", ["RS384", "PS256", "PS512"])
def test_only_rs256_and_rs512_are_accepted_whatever_discovery_advertises(algorithm):
    auth = GenerousAuth([{**_jwk(SIGNING_KEY, "k1"), "alg": algorithm}])
    validator = IdTokenValidator(client_id=CLIENT, fetch_discovery=auth.discovery, fetch_jwks=auth.jwks)
    with pytest.raises(IdTokenInvalid) as refused:
        validator.validate(_token(_claims(), algorithm=algorithm), nonce=NONCE)
    assert refused.value.reason == "algorithm"


def test_rs512_tokens_validate_with_an_rs512_key():
    auth = FakeAuth([{**_jwk(SIGNING_KEY, "k1"), "alg": "RS512"}])
    validator = IdTokenValidator(client_id=CLIENT, fetch_discovery=auth.discovery, fetch_jwks=auth.jwks)
    assert validator.validate(_token(_claims(), algorithm="RS512"), nonce=NONCE)["sub"] == "identity-1"


def test_a_key_published_for_one_algorithm_is_not_used_with_another(validator):
    # k1 is published with "alg": "RS256"; a token naming RS512 must not be checked with it.
    with pytest.raises(IdTokenInvalid) as refused:
        validator.validate(_token(_claims(), algorithm="RS512"), nonce=NONCE)
    assert refused.value.reason == "algorithm"


def test_encryption_keys_in_the_jwks_are_never_used_for_signatures():
    auth = FakeAuth([{**_jwk(SIGNING_KEY, "k1"), "use": "enc"}])
    validator = IdTokenValidator(client_id=CLIENT, fetch_discovery=auth.discovery, fetch_jwks=auth.jwks)
    with pytest.raises(IdTokenInvalid) as refused:
        validator.validate(_token(_claims()), nonce=NONCE)
    assert refused.value.reason == "signature"
