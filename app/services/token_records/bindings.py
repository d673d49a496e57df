"""What ties each ciphertext to its row: the associated data of every encrypted token value.

A value copied into another user's row, another resource server's row, another column or from a
live token into the revocation queue (or back) no longer decrypts.
"""

from __future__ import annotations

ACCESS = "access_token"
REFRESH = "refresh_token"


def token_binding(user_id: int, resource_server: str, field: str) -> str:
    """Associated data of a live token in `stored_tokens` (field: ACCESS or REFRESH)."""
    return f"{user_id}|{resource_server}|{field}"


def pending_binding(user_id: int, resource_server: str, token_kind: str) -> str:
    """Associated data of a token waiting in `pending_revocations` (distinct from the live one)."""
    return f"{user_id}|{resource_server}|pending-{token_kind}"
