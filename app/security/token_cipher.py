"""AES-GCM encryption of stored tokens with a keyring (one primary key, older keys to decrypt).

A stored value is "v1:<kid>:<base64url(nonce + ciphertext)>". The associated data binds it to
its row — f"{user_id}|{resource_server}|{field}" — so a value copied into another user's or
another service's row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyringError(ValueError):
    """The configured encryption keys are missing or malformed."""


class TokenDecryptionError(ValueError):
    """A stored value could not be decrypted (unknown key, tampered, or bound to another row)."""


@dataclass(frozen=True)
class TokenKeyring:
    """Encrypts under the primary key; decrypts with any key it holds."""

    primary_kid: str
    keys: dict[str, bytes]

    @classmethod
    def from_spec(cls, spec: str) -> TokenKeyring:
        """Parse "kid:base64url-32-bytes,kid2:..." (commas or newlines); the first key is primary."""
        entries = [part.strip() for part in re.split(r"[,\n]", spec) if part.strip()]
        entries = [entry for entry in entries if not entry.startswith("#")]
        if not entries:
            raise KeyringError("no token encryption key configured")
        keys: dict[str, bytes] = {}
        for entry in entries:
            kid, sep, encoded = entry.partition(":")
            if not sep or not KEY_ID_PATTERN.match(kid):
                raise KeyringError(
                    "each token encryption key must look like 'kid:base64url-key' with a kid of "
                    "letters, digits, '-' or '_' (see `gateway keys generate`)"
                )
            if kid in keys:
                raise KeyringError(f"token encryption key id {kid!r} appears twice")
            keys[kid] = _decode_key(kid, encoded)
        return cls(primary_kid=entries[0].partition(":")[0], keys=keys)

    @classmethod
    def from_file(cls, path: str | Path) -> TokenKeyring:
        """Read a key spec from a file (one key per line, first line primary)."""
        try:
            return cls.from_spec(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KeyringError(f"token encryption key file {path} does not exist") from None
        except (PermissionError, IsADirectoryError, UnicodeDecodeError) as exc:
            raise KeyringError(f"token encryption key file {path} cannot be read: {exc}") from None

    def encrypt(self, plaintext: str, *, binding: str) -> str:
        """Encrypt under the primary key, bound to `binding` (app/services/token_records/bindings.py)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.primary_kid]).encrypt(nonce, plaintext.encode("utf-8"), binding.encode("utf-8"))
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{FORMAT_VERSION}:{self.primary_kid}:{payload}"

    def decrypt(self, value: str, *, binding: str) -> str:
        """Decrypt a stored value; raises TokenDecryptionError rather than returning garbage."""
        kid, payload = _split(value)
        key = self.keys.get(kid)
        if key is None:
            raise TokenDecryptionError(f"value was encrypted under unknown key id {kid!r}")
        try:
            raw = _strict_b64decode(payload)
        except (binascii.Error, ValueError):
            raise TokenDecryptionError("value is not valid base64") from None
        if len(raw) <= NONCE_BYTES:
            raise TokenDecryptionError("value is too short")
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], binding.encode("utf-8"))
        except InvalidTag:
            raise TokenDecryptionError("value does not authenticate for this row") from None
        return plain.decode("utf-8")

    def is_current(self, value: str) -> bool:
        """True when the value is already encrypted under the primary key."""
        return key_id_of(value) == self.primary_kid

    def reencrypt(self, value: str, *, binding: str) -> str:
        """Re-encrypt a value under the primary key (no-op for values already under it)."""
        if self.is_current(value):
            return value
        return self.encrypt(self.decrypt(value, binding=binding), binding=binding)


def key_id_of(value: str) -> str:
    """The key id a stored value was encrypted under."""
    return _split(value)[0]


def generate_key_line(kid: str | None = None) -> str:
    """A fresh "kid:base64url-key" line for TOKEN_ENCRYPTION_KEYS or a key file."""
    kid = kid or "k" + secrets.token_hex(4)
    if not KEY_ID_PATTERN.match(kid):
        raise KeyringError(f"key id {kid!r} may contain only letters, digits, '-' and '_'")
    encoded = base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8)).decode("ascii")
    return f"{kid}:{encoded.rstrip('=')}"


def _split(value: str) -> tuple[str, str]:
    version, sep1, rest = (value or "").partition(":")
    kid, sep2, payload = rest.partition(":")
    if version != FORMAT_VERSION or not sep1 or not sep2 or not kid or not payload:
        raise TokenDecryptionError("value is not in the v1:<kid>:<data> format")
    return kid, payload


def _decode_key(kid: str, encoded: str) -> bytes:
    try:
        key = _strict_b64decode(encoded)
    except (binascii.Error, ValueError):
        raise KeyringError(f"token encryption key {kid!r} is not valid base64url") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"token encryption key {kid!r} must be {KEY_BYTES} bytes, got {len(key)}")
    return key


def _strict_b64decode(text: str) -> bytes:
    # The lenient decoder silently drops stray characters; a key or value with any is malformed.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
