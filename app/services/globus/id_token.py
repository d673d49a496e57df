"""OpenID Connect id_token validation with a cached discovery document and JWKS.

The SDK's decoder does not check `iss`, `nonce` or `azp` and uses only the first JWKS key, so the
portal validates itself: signature by `kid` from the cached JWKS (refetched when an unknown kid
shows up, at most once per REFETCH_INTERVAL), then iss, aud, azp, exp, iat and nonce.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

# Globus Auth signs with RS512 (RS256 is the OIDC default). "none" and HMAC (keyed with public
# data) are never acceptable, and nothing else is accepted just because discovery advertises it.
ALLOWED_ALGORITHMS = ("RS256", "RS512")
REFETCH_INTERVAL = 60.0
DEFAULT_LEEWAY = 60


class IdTokenInvalid(ValueError):
    """The id_token must not be trusted; `reason` says which check failed."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class IdTokenValidator:
    """Validates id_tokens for one client against one issuer; thread-safe, caches keys."""

    def __init__(
        self,
        *,
        client_id: str,
        fetch_discovery: Callable[[], dict[str, Any]],
        fetch_jwks: Callable[[dict[str, Any]], dict[str, Any]],
        expected_issuer: str | None = None,
        leeway: int = DEFAULT_LEEWAY,
        clock: Callable[[], float] = time.time,
    ):
        self.client_id = client_id
        self._fetch_discovery = fetch_discovery
        self._fetch_jwks = fetch_jwks
        self._expected_issuer = expected_issuer
        self.leeway = leeway
        self._clock = clock
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._keys: dict[str | None, tuple[Any, str | None]] = {}
        self._keys_fetched_at = float("-inf")

    def validate(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Return the verified claims, or raise IdTokenInvalid."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise IdTokenInvalid("malformed", str(exc)) from None
        algorithm = header.get("alg")
        if algorithm not in self._algorithms():
            raise IdTokenInvalid("algorithm", f"algorithm {algorithm!r} is not accepted")
        key = self._key_for(header.get("kid"), algorithm)
        issuer = self._issuer()
        try:
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=[algorithm],
                audience=self.client_id,
                issuer=issuer,
                leeway=self.leeway,
                options={"require": ["iss", "sub", "aud", "exp", "iat"], "verify_iat": True},
            )
        except jwt.InvalidSignatureError:
            raise IdTokenInvalid("signature", "signature does not verify") from None
        except jwt.ExpiredSignatureError:
            raise IdTokenInvalid("expired", "the id_token has expired") from None
        except jwt.InvalidAudienceError:
            raise IdTokenInvalid("audience", "the id_token was issued to another client") from None
        except jwt.InvalidIssuerError:
            raise IdTokenInvalid("issuer", "the id_token comes from an unexpected issuer") from None
        except jwt.ImmatureSignatureError:
            raise IdTokenInvalid("issued_at", "the id_token claims to be issued in the future") from None
        except jwt.PyJWTError as exc:
            raise IdTokenInvalid("invalid", str(exc)) from None
        self._check_iat(claims)
        self._check_azp(claims)
        self._check_nonce(claims, nonce)
        return claims

    def _check_iat(self, claims: dict[str, Any]) -> None:
        issued_at = claims.get("iat")
        if not isinstance(issued_at, (int, float)) or issued_at > self._clock() + self.leeway:
            raise IdTokenInvalid("issued_at", "the id_token claims to be issued in the future")

    def _check_azp(self, claims: dict[str, Any]) -> None:
        audience = claims.get("aud")
        azp = claims.get("azp")
        several = isinstance(audience, list) and len(audience) > 1
        if (several or azp is not None) and azp != self.client_id:
            raise IdTokenInvalid("authorized_party", "the id_token's azp is not this client")

    @staticmethod
    def _check_nonce(claims: dict[str, Any], nonce: str) -> None:
        received = claims.get("nonce")
        # Bytes, because compare_digest refuses str with non-ASCII characters.
        if not isinstance(received, str) or not hmac.compare_digest(received.encode(), nonce.encode()):
            raise IdTokenInvalid("nonce", "the id_token's nonce does not match this login")

    def _discovery_doc(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None:
                self._discovery = self._fetch_discovery()
            return self._discovery

    def _issuer(self) -> str:
        issuer = self._expected_issuer or self._discovery_doc().get("issuer")
        if not issuer:
            raise IdTokenInvalid("issuer", "no issuer is configured or published")
        return issuer

    def _algorithms(self) -> tuple[str, ...]:
        published = self._discovery_doc().get("id_token_signing_alg_values_supported") or ["RS256"]
        return tuple(alg for alg in published if alg in ALLOWED_ALGORITHMS)

    def _key_for(self, kid: str | None, algorithm: str) -> Any:
        with self._lock:
            if not self._keys or (kid not in self._keys and self._may_refetch()):
                self._load_keys()
            entry: tuple[Any, str | None] | None
            if kid is None and len(self._keys) == 1:
                entry = next(iter(self._keys.values()))
            else:
                entry = self._keys.get(kid)
        if entry is None:
            raise IdTokenInvalid("signature", "the id_token is signed with an unknown key")
        key, key_algorithm = entry
        # A JWK that names its algorithm may only verify that algorithm (RFC 7517 section 4.4).
        if key_algorithm is not None and key_algorithm != algorithm:
            raise IdTokenInvalid("algorithm", f"key {kid!r} is published for {key_algorithm}, not {algorithm}")
        return key

    def _may_refetch(self) -> bool:
        return self._clock() - self._keys_fetched_at >= REFETCH_INTERVAL

    def _load_keys(self) -> None:
        if self._discovery is None:
            self._discovery = self._fetch_discovery()
        jwks = self._fetch_jwks(self._discovery)
        keys: dict[str | None, tuple[Any, str | None]] = {}
        for entry in jwks.get("keys", []):
            if entry.get("kty") == "RSA" and entry.get("use", "sig") == "sig":
                keys[entry.get("kid")] = (RSAAlgorithm.from_jwk(json.dumps(entry)), entry.get("alg"))
        self._keys = keys
        self._keys_fetched_at = self._clock()
