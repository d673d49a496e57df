"""Hashing and checking of user passwords and client secrets (only hashes are stored)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

_PBKDF2_ITERATIONS = 120_000


def hash_password(password: str) -> str:
    """A salted PBKDF2-SHA256 hash in the form `pbkdf2_sha256$iterations$salt$hex`."""
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), _PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${_PBKDF2_ITERATIONS}${salt}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    """True when `password` matches a hash made by `hash_password`."""
    if not stored:
        return False
    try:
        algorithm, iterations, salt, expected = stored.split("$")
    except ValueError:
        return False
    if algorithm != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


def hash_client_secret(secret: str) -> str:
    """Client secrets are long random strings, so a plain SHA-256 is enough and keeps
    the token endpoint fast under load (it checks the secret on every call)."""
    return "sha256$" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_client_secret(secret: str, stored: str) -> bool:
    """True when `secret` matches a hash made by `hash_client_secret`."""
    return hmac.compare_digest(hash_client_secret(secret), stored)


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two strings from the outside world (passwords, CSRF tokens).

    hmac.compare_digest raises TypeError for str holding non-ASCII characters, so compare UTF-8 bytes:
    hostile input is then simply a mismatch.
    """
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
