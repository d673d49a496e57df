"""Which token encryption keys the running app uses, from TOKEN_ENCRYPTION_KEYS or a key file."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.security.token_cipher import KeyringError, TokenKeyring, generate_key_line
from app.settings import ConfigError, ensure_secret_file

DEMO_KEY_FILE_NAME = "token-encryption-keys"


def load_keyring(config: Mapping[str, Any]) -> TokenKeyring:
    """Build the keyring the configuration names; development generates a 0600 key file."""
    if config.get("TOKEN_ENCRYPTION_KEYS"):
        return TokenKeyring.from_spec(config["TOKEN_ENCRYPTION_KEYS"])
    path = config.get("TOKEN_ENCRYPTION_KEY_FILE")
    if path:
        if config["GATEWAY_ENV"] == "production":
            _refuse_shared_file(Path(path))
        return TokenKeyring.from_file(path)
    if config["GATEWAY_ENV"] == "production":
        raise KeyringError("production needs TOKEN_ENCRYPTION_KEYS or TOKEN_ENCRYPTION_KEY_FILE")
    if config["GATEWAY_ENV"] == "test":
        # Tests that do not pass keys get a throwaway key; nothing outlives the process.
        return TokenKeyring.from_spec(generate_key_line("test"))
    return TokenKeyring.from_file(demo_key_file(config))


def demo_key_file(config: Mapping[str, Any]) -> Path:
    """The instance key file for development and the demo, created with mode 0600 if missing."""
    path = Path(config["GATEWAY_INSTANCE_DIR"]) / DEMO_KEY_FILE_NAME
    ensure_secret_file(path, generate_key_line)
    return path


def init_keyring(app: Flask) -> None:
    """Load the keyring once at startup so a bad key fails the start, not the first login."""
    try:
        app.extensions["token_keyring"] = load_keyring(app.config)
    except KeyringError as exc:
        # A start-up refusal like any other configuration problem: one line, no traceback.
        raise ConfigError(f"The token encryption keys cannot be used: {exc}") from None


def current_keyring() -> TokenKeyring:
    """The keyring of the running app."""
    return current_app.extensions["token_keyring"]


def _refuse_shared_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyringError(f"token encryption key file {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(f"token encryption key file {path} is readable by other users; chmod 600 it")
