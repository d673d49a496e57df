"""The JSON API's two caches: introspection results (30 s) and dependent tokens (until they expire).

Both are keyed by the SHA-256 of the caller's token, never the token. Dependent tokens are kept
ENCRYPTED with the same keyring as stored tokens (app/security/token_cipher.py), bound to the
caller's token hash and the resource server, so a memory dump shows no usable token. Each is
per process and bounded; the clock is injectable, so tests move time instead of sleeping.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.security.token_cipher import TokenDecryptionError, TokenKeyring
from app.services.globus.clients import StoredGrant

INTROSPECTION_TTL_SECONDS = 30
# Dependent tokens are dropped this long before they expire, so no call starts with a dying token.
DEPENDENT_MARGIN_SECONDS = 60
MAX_ENTRIES = 10_000

# The time source of both caches and of the token checks; tests replace it (no sleeps).
clock: Callable[[], float] = time.time

V = TypeVar("V")


def token_hash(token: str) -> str:
    """The cache key of a caller's token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ExpiringCache(Generic[V]):
    """A bounded, thread-safe map whose entries carry their own expiry time (least recently used go first)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str) -> V | None:
        """The live value under `key`, or None (expired entries are dropped on the way)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, value: V, expires_at: float) -> None:
        """Keep `value` until `expires_at` (a clock() time)."""
        with self._lock:
            self._entries[key] = (expires_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def pop(self, key: str) -> None:
        """Forget `key`."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything (tests, key rotation)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class SealedGrant:
    """A dependent token as the cache holds it: the access token encrypted, the rest plain."""

    sealed_access_token: str
    expires_at: int
    scope: str

    def __repr__(self) -> str:
        return f"SealedGrant(expires_at={self.expires_at}, scope={self.scope!r})"


class DependentTokenCache:
    """Dependent tokens per caller token hash and resource server, encrypted at rest in memory."""

    def __init__(self) -> None:
        self._cache: ExpiringCache[dict[str, SealedGrant]] = ExpiringCache()

    @staticmethod
    def _binding(key: str, resource_server: str) -> str:
        return f"api-dependent|{key}|{resource_server}"

    def get(self, keyring: TokenKeyring, key: str) -> dict[str, StoredGrant] | None:
        """The caller's dependent tokens by resource server, or None when none are cached (or they no longer decrypt)."""
        sealed = self._cache.get(key)
        if sealed is None:
            return None
        try:
            return {
                server: StoredGrant(
                    keyring.decrypt(item.sealed_access_token, binding=self._binding(key, server)), None, item.expires_at
                )
                for server, item in sealed.items()
            }
        except TokenDecryptionError:
            # The keyring changed under us (rotation): fetch them again.
            self._cache.pop(key)
            return None

    def put(self, keyring: TokenKeyring, key: str, grants: dict[str, tuple[StoredGrant, str]]) -> None:
        """Keep the tokens (encrypted) until the first of them is about to expire."""
        if not grants:
            return
        sealed = {
            server: SealedGrant(
                keyring.encrypt(grant.access_token, binding=self._binding(key, server)), grant.expires_at, scope
            )
            for server, (grant, scope) in grants.items()
        }
        expires = min(item.expires_at for item in sealed.values()) - DEPENDENT_MARGIN_SECONDS
        self._cache.put(key, sealed, expires)

    def drop(self, key: str) -> None:
        """Forget the caller's tokens (after Globus refused one)."""
        self._cache.pop(key)

    def peek(self, key: str) -> dict[str, Any] | None:
        """What is kept for `key`, sealed (for tests that check nothing is stored in plaintext)."""
        sealed = self._cache.get(key)
        return dict(sealed) if sealed is not None else None

    def clear(self) -> None:
        """Forget everything."""
        self._cache.clear()


introspections: ExpiringCache[dict[str, Any]] = ExpiringCache()
dependent_tokens = DependentTokenCache()
