"""The emulator's RSA signing key (kept in the instance folder) and RS512 JWT signing with it.

The key survives `--reset` so ID tokens a client already holds stay verifiable across reseeds.
PyJWT is not a dependency of the emulator: JWS compact serialisation is small enough to do here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_FILENAME = "emulator-signing-key.pem"
SIGNING_ALGORITHM = "RS512"


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE requires."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_to_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def load_or_create_key(instance_dir: str) -> rsa.RSAPrivateKey:
    """Read the instance's RSA key, generating a 2048-bit one (mode 0600) the first time."""
    path = Path(instance_dir) / KEY_FILENAME
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temp = path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(temp, path)
    return _load_key(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_key(path: str, _mtime: int) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return key


def key_id(key: rsa.RSAPrivateKey) -> str:
    """A stable `kid`: a digest of the public key."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b64url(hashlib.sha256(der).digest())[:16]


def jwks(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The JSON Web Key Set publishing the public half of the key."""
    numbers = key.public_key().public_numbers()
    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "alg": SIGNING_ALGORITHM,
                "kid": key_id(key),
                "n": _int_to_b64url(numbers.n),
                "e": _int_to_b64url(numbers.e),
            }
        ]
    }


def sign_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """Encode and sign `claims` as a compact RS512 JWT."""
    header = {"alg": SIGNING_ALGORITHM, "typ": "JWT", "kid": key_id(key)}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode("utf-8")) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA512())
    return f"{signing_input}.{b64url(signature)}"
