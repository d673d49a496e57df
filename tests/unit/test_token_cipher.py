"""AES-GCM token encryption: format, row binding, key ids and key spec parsing."""

from __future__ import annotations

import base64

import pytest

from app.security.token_cipher import (
    KeyringError,
    TokenDecryptionError,
    TokenKeyring,
    generate_key_line,
    key_id_of,
)
from app.services.token_records import token_binding

SECRET = "AgExampleAccessTokenValue0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def keyring() -> TokenKeyring:
    return TokenKeyring.from_spec(generate_key_line("new") + "," + generate_key_line("old"))


def test_value_format_names_primary_key_and_hides_plaintext(keyring):
    value = keyring.encrypt(SECRET, binding=token_binding(1, "transfer.api.globus.org", "access_token"))
    version, kid, payload = value.split(":")
    assert (version, kid) == ("v1", "new")
    assert SECRET not in value and SECRET.encode() not in base64.urlsafe_b64decode(payload + "==")
    assert keyring.decrypt(value, binding=token_binding(1, "transfer.api.globus.org", "access_token")) == SECRET


def test_same_plaintext_encrypts_differently_each_time(keyring):
    binding = token_binding(1, "auth.globus.org", "access_token")
    assert keyring.encrypt(SECRET, binding=binding) != keyring.encrypt(SECRET, binding=binding)


@pytest.mark.parametrize(
    "other_binding",
    [
        token_binding(2, "transfer.api.globus.org", "access_token"),  # another user's row
        token_binding(1, "search.api.globus.org", "access_token"),  # another service
        token_binding(1, "transfer.api.globus.org", "refresh_token"),  # another column
    ],
)
def test_ciphertext_moved_to_another_row_does_not_decrypt(keyring, other_binding):
    value = keyring.encrypt(SECRET, binding=token_binding(1, "transfer.api.globus.org", "access_token"))
    with pytest.raises(TokenDecryptionError):
        keyring.decrypt(value, binding=other_binding)


def test_tampered_value_does_not_decrypt(keyring):
    binding = token_binding(1, "auth.globus.org", "access_token")
    value = keyring.encrypt(SECRET, binding=binding)
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    with pytest.raises(TokenDecryptionError):
        keyring.decrypt(flipped, binding=binding)


def test_old_keys_decrypt_until_removed_and_reencrypt_moves_to_primary():
    old_line, new_line = generate_key_line("old"), generate_key_line("new")
    binding = token_binding(7, "auth.globus.org", "refresh_token")
    old_value = TokenKeyring.from_spec(old_line).encrypt(SECRET, binding=binding)
    rotated = TokenKeyring.from_spec(f"{new_line},{old_line}")
    assert rotated.decrypt(old_value, binding=binding) == SECRET
    assert not rotated.is_current(old_value)
    moved = rotated.reencrypt(old_value, binding=binding)
    assert key_id_of(moved) == "new" and rotated.decrypt(moved, binding=binding) == SECRET
    with pytest.raises(TokenDecryptionError, match="unknown key id"):
        TokenKeyring.from_spec(new_line).decrypt(old_value, binding=binding)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "no token encryption key"),
        ("justakey", "kid:base64url-key"),
        ("bad kid!:" + "A" * 43, "kid:base64url-key"),
        ("k1:" + base64.urlsafe_b64encode(b"short").decode(), "32 bytes"),
        ("k1:@@@@", "base64url"),
    ],
)
def test_malformed_key_specs_are_refused_with_a_clear_message(spec, message):
    with pytest.raises(KeyringError, match=message):
        TokenKeyring.from_spec(spec)


def test_duplicate_key_ids_are_refused():
    line = generate_key_line("same")
    with pytest.raises(KeyringError, match="twice"):
        TokenKeyring.from_spec(f"{line},{line}")


def test_key_file_with_one_key_per_line_and_comments(tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"# rotated 2026-11\n{generate_key_line('b')}\n{generate_key_line('a')}\n")
    keyring = TokenKeyring.from_file(path)
    assert keyring.primary_kid == "b" and set(keyring.keys) == {"a", "b"}


@pytest.mark.parametrize("value", ["", "plaintext-token", "v2:k:abc", "v1::abc", "v1:k:"])
def test_values_not_in_the_v1_format_are_refused(keyring, value):
    with pytest.raises(TokenDecryptionError):
        keyring.decrypt(value, binding="1|x|access_token")
