"""Portal settings, read once from the environment (plus an optional .env loaded by the entry points).

`load_settings(environ, overrides)` returns the Flask config mapping. Names are the environment
variables documented in config/example.env; overrides use the same names (tests pass them).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from app import resources

ENVIRONMENTS = ("development", "test", "production")
SESSION_BACKENDS = ("sqlalchemy", "redis")
QUEUE_BACKENDS = ("sqlite", "redis")
LOG_FORMATS = ("json", "text")
MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT_CHARACTERS = 10
MIN_METRICS_TOKEN_CHARACTERS = 32
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

# The variables this module reads; an override with one of these names is treated as if it had
# been set in the environment, so derived values (cookie names, database URI...) follow it.
ENVIRONMENT_NAMES = (
    "GATEWAY_ENV",
    "GATEWAY_INSTANCE_DIR",
    "SECRET_KEY",
    "DATABASE_URL",
    "SESSION_BACKEND",
    "REDIS_URL",
    "TOKEN_ENCRYPTION_KEYS",
    "TOKEN_ENCRYPTION_KEY_FILE",
    "GLOBUS_CLIENT_ID",
    "GLOBUS_CLIENT_SECRET",
    "GLOBUS_AUTH_URL",
    "GLOBUS_TRANSFER_URL",
    "GLOBUS_SEARCH_URL",
    "GLOBUS_SEARCH_INDEX_ID",
    "GLOBUS_AUTH_ISSUER",
    "GATEWAY_EMULATOR_MANIFEST",
    "GLOBUS_HTTP_TIMEOUT",
    "GLOBUS_MAX_RETRIES",
    "WORKER_HTTP_TIMEOUT",
    "WORKER_MAX_RETRIES",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_HOURS",
    "PREFERRED_URL_SCHEME",
    "TRUSTED_PROXIES",
    "TRUSTED_HOSTS",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "METRICS_TOKEN",
    "METRICS_ENABLED",
    "QUEUE_BACKEND",
    "SMTP_URL",
    "MAIL_FROM",
    "GATEWAY_PUBLIC_URL",
)


class ConfigError(RuntimeError):
    """The environment does not describe a portal that may start."""


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables and optional overrides."""
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    for name in ENVIRONMENT_NAMES:
        if name in overrides and overrides[name] is not None:
            env[name] = str(overrides[name])
    reader = _Reader(env)

    gateway_env = reader.choice("GATEWAY_ENV", ENVIRONMENTS, "development")
    production = gateway_env == "production"
    instance_dir = Path(reader.text("GATEWAY_INSTANCE_DIR") or default_instance_dir()).resolve()
    manifest = _read_manifest(reader.text("GATEWAY_EMULATOR_MANIFEST"))
    idle_minutes = reader.integer("SESSION_IDLE_MINUTES", 60, minimum=1)
    # How often the idle stamp of an active session is rewritten (see app/security/session_policy).
    seen_refresh_seconds = min(60, idle_minutes * 6)

    settings: dict[str, Any] = {
        "GATEWAY_ENV": gateway_env,
        "TESTING": gateway_env == "test",
        "DEBUG": False,
        "GATEWAY_INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": reader.text("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": reader.text("DATABASE_URL") or f"sqlite:///{instance_dir / 'gateway.sqlite3'}",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SESSION_BACKEND": reader.choice("SESSION_BACKEND", SESSION_BACKENDS, "sqlalchemy"),
        "REDIS_URL": reader.text("REDIS_URL") or "redis://127.0.0.1:6379/0",
        "TOKEN_ENCRYPTION_KEYS": reader.text("TOKEN_ENCRYPTION_KEYS"),
        "TOKEN_ENCRYPTION_KEY_FILE": reader.text("TOKEN_ENCRYPTION_KEY_FILE"),
        "GLOBUS_CLIENT_ID": reader.text("GLOBUS_CLIENT_ID")
        or _manifest_get(manifest, "clients", "portal", "client_id"),
        "GLOBUS_CLIENT_SECRET": reader.text("GLOBUS_CLIENT_SECRET")
        or _manifest_get(manifest, "clients", "portal", "client_secret"),
        "GLOBUS_AUTH_URL": reader.text("GLOBUS_AUTH_URL") or _manifest_get(manifest, "services", "auth"),
        "GLOBUS_TRANSFER_URL": reader.text("GLOBUS_TRANSFER_URL") or _manifest_get(manifest, "services", "transfer"),
        "GLOBUS_SEARCH_URL": reader.text("GLOBUS_SEARCH_URL") or _manifest_get(manifest, "services", "search"),
        "GLOBUS_SEARCH_INDEX_ID": reader.text("GLOBUS_SEARCH_INDEX_ID")
        or _manifest_get(manifest, "search_index", "id"),
        # None: take the issuer from the discovery document of GLOBUS_AUTH_URL.
        "GLOBUS_AUTH_ISSUER": reader.text("GLOBUS_AUTH_ISSUER") or _manifest_get(manifest, "issuer"),
        "GATEWAY_EMULATOR_MANIFEST": reader.text("GATEWAY_EMULATOR_MANIFEST"),
        "GLOBUS_HTTP_TIMEOUT": reader.number("GLOBUS_HTTP_TIMEOUT", 10.0),
        "GLOBUS_MAX_RETRIES": reader.integer("GLOBUS_MAX_RETRIES", 1, minimum=0),
        "WORKER_HTTP_TIMEOUT": reader.number("WORKER_HTTP_TIMEOUT", 60.0),
        "WORKER_MAX_RETRIES": reader.integer("WORKER_MAX_RETRIES", 5, minimum=0),
        "SESSION_IDLE_MINUTES": idle_minutes,
        "SESSION_ABSOLUTE_HOURS": reader.integer("SESSION_ABSOLUTE_HOURS", 12, minimum=1),
        "SESSION_SEEN_REFRESH_SECONDS": seen_refresh_seconds,
        # The stored row outlives the idle limit by the stamp's possible lag, like the idle check.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=idle_minutes, seconds=seen_refresh_seconds),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # `__Host-` makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
        "SESSION_COOKIE_NAME": "__Host-gateway_session" if production else "gateway_session",
        "SESSION_COOKIE_PATH": "/",
        "PREFERRED_URL_SCHEME": reader.text("PREFERRED_URL_SCHEME") or ("https" if production else "http"),
        "TRUSTED_PROXIES": reader.integer("TRUSTED_PROXIES", 0, minimum=0),
        # Login and logout build absolute URLs from the Host header; Flask answers 400 to others.
        "TRUSTED_HOSTS": _host_list(reader.text("TRUSTED_HOSTS")),
        "LOG_LEVEL": (reader.text("LOG_LEVEL") or "INFO").upper(),
        # JSON lines for log collectors in production; readable lines on a developer's terminal.
        "LOG_FORMAT": reader.choice("LOG_FORMAT", LOG_FORMATS, "json" if production else "text"),
        # /metrics answers only when one of these is set (see docs/portal.md, Operations).
        "METRICS_TOKEN": reader.text("METRICS_TOKEN"),
        "METRICS_ENABLED": reader.flag("METRICS_ENABLED", False),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # The worker's queue (app/worker/queue.py): Huey's SQLite file in the instance folder, or
        # Redis (REDIS_URL) when consumers run on several hosts.
        "QUEUE_BACKEND": reader.choice("QUEUE_BACKEND", QUEUE_BACKENDS, "sqlite"),
        "QUEUE_SQLITE_PATH": str(instance_dir / "worker-queue.sqlite3"),
        # Email notifications: smtp://host:port (smtps:// for TLS, user:password@ for AUTH); none
        # configured means in-app notifications only.
        "SMTP_URL": reader.text("SMTP_URL"),
        "MAIL_FROM": reader.text("MAIL_FROM") or "Science Gateway <gateway@localhost>",
        # Where emails link to (https://gateway.example.org); without it, emails carry no links.
        "GATEWAY_PUBLIC_URL": (reader.text("GATEWAY_PUBLIC_URL") or "").rstrip("/") or None,
    }
    settings.update({k: v for k, v in overrides.items() if k not in ENVIRONMENT_NAMES})
    if settings["SECRET_KEY"] is None and not production:
        settings["SECRET_KEY"] = _instance_secret(instance_dir, settings["TESTING"])
    if production:
        _require_production_settings(settings)
    return settings


def default_instance_dir() -> Path:
    """instance/ of a source checkout; for an installed copy <venv>/var/science-gateway (Flask's habit)."""
    checkout = resources.source_checkout()
    # The same folder whatever the working directory, so `gateway db upgrade` and gunicorn agree.
    return checkout / "instance" if checkout else Path(sys.prefix) / "var" / "science-gateway"


def load_env_files() -> None:
    """Load .env from the working directory, then a source checkout's; the real environment wins."""
    load_dotenv(Path.cwd() / ".env", override=False)
    checkout = resources.source_checkout()
    if checkout is not None:
        load_dotenv(checkout / ".env", override=False)


def _host_list(text: str | None) -> list[str] | None:
    """ "a.example.org, .example.net" as a list (a leading dot allows subdomains); None allows any."""
    hosts = [host.strip() for host in (text or "").split(",") if host.strip()]
    return hosts or None


def _require_production_settings(settings: Mapping[str, Any]) -> None:
    missing = [
        name
        for name, present in (
            ("SECRET_KEY", bool(settings.get("SECRET_KEY"))),
            (
                "TOKEN_ENCRYPTION_KEYS or TOKEN_ENCRYPTION_KEY_FILE",
                bool(settings.get("TOKEN_ENCRYPTION_KEYS") or settings.get("TOKEN_ENCRYPTION_KEY_FILE")),
            ),
            ("GLOBUS_CLIENT_ID", bool(settings.get("GLOBUS_CLIENT_ID"))),
            ("GLOBUS_CLIENT_SECRET", bool(settings.get("GLOBUS_CLIENT_SECRET"))),
        )
        if not present
    ]
    if missing:
        raise ConfigError(
            "GATEWAY_ENV=production refuses to start without: "
            + ", ".join(missing)
            + ". Set them in the environment (see config/example.env)."
        )
    secret = str(settings["SECRET_KEY"])
    # 32 bytes is what `secrets.token_hex(32)` gives; a key of few distinct characters ("aaaa…",
    # "abab…", a placeholder) is long without being random.
    if len(secret.encode()) < MIN_SECRET_BYTES or len(set(secret)) < MIN_SECRET_DISTINCT_CHARACTERS:
        raise ConfigError(
            f"SECRET_KEY must be at least {MIN_SECRET_BYTES} random bytes in production; generate one with "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )
    if not settings.get("TRUSTED_HOSTS"):
        raise ConfigError(
            "GATEWAY_ENV=production refuses to start without TRUSTED_HOSTS (the host names this "
            "portal answers to; login builds its redirect URI from the Host header)."
        )
    token = settings.get("METRICS_TOKEN")
    if token and len(token) < MIN_METRICS_TOKEN_CHARACTERS:
        raise ConfigError(
            f"METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_CHARACTERS} random characters in production; "
            "generate one with python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    if settings.get("GATEWAY_EMULATOR_MANIFEST"):
        raise ConfigError(
            "GATEWAY_ENV=production refuses to start with GATEWAY_EMULATOR_MANIFEST set: production talks "
            "to real Globus; unset it (the emulator is for the demo and the tests)."
        )


def _instance_secret(instance_dir: Path, testing: bool) -> str:
    """A per-instance session secret for development, generated once with mode 0600."""
    if testing:
        return secrets.token_hex(32)
    return ensure_secret_file(instance_dir / "secret_key", lambda: secrets.token_hex(32))


def ensure_secret_file(path: Path, make_value) -> str:
    """Return the contents of a private file, creating it (mode 0600) with make_value() if absent."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(make_value() + "\n")
    return path.read_text().strip()


def _read_manifest(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"GATEWAY_EMULATOR_MANIFEST points at {path}, which does not exist; start the emulator "
            "first (gateway emulator --instance DIR writes DIR/emulator.json)."
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"GATEWAY_EMULATOR_MANIFEST {path} is not valid JSON: {exc}") from None


def _manifest_get(manifest: Mapping[str, Any], *keys: str) -> Any:
    node: Any = manifest
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


class _Reader:
    """Typed access to string environment values, with errors that name the variable."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def text(self, name: str) -> str | None:
        """The stripped value, or None when unset or blank."""
        value = self.env.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        """One of `allowed` (case-insensitive)."""
        value = (self.text(name) or default).lower()
        if value not in allowed:
            raise ConfigError(f"{name}={value!r} is not one of {', '.join(allowed)}.")
        return value

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        """A whole number of at least `minimum`."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}.")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """true/false, yes/no, 1/0, on/off (case-insensitive)."""
        raw = self.text(name)
        if raw is None:
            return default
        value = raw.lower()
        if value not in _TRUE | _FALSE:
            raise ConfigError(f"{name} must be true or false, got {raw!r}.")
        return value in _TRUE

    def number(self, name: str, default: float) -> float:
        """A positive number (seconds)."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, got {raw!r}.") from None
        if value <= 0:
            raise ConfigError(f"{name} must be positive, got {value}.")
        return value
