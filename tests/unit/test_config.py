"""Settings from the environment: defaults, the emulator manifest, production's refusals."""

from __future__ import annotations

import json

import pytest

from app.security.token_cipher import generate_key_line
from app.settings import ConfigError, load_settings

PRODUCTION = {
    "GATEWAY_ENV": "production",
    "SECRET_KEY": "7f3c9a1e5b2d8f4a6c0e9b3d7a1f5c2e",
    "TRUSTED_HOSTS": "gateway.example.org",
    "TOKEN_ENCRYPTION_KEYS": generate_key_line("prod"),
    "GLOBUS_CLIENT_ID": "client",
    "GLOBUS_CLIENT_SECRET": "secret",
}


def test_development_defaults(tmp_path):
    settings = load_settings({"GATEWAY_INSTANCE_DIR": str(tmp_path)})
    assert settings["GATEWAY_ENV"] == "development"
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    assert settings["SESSION_COOKIE_NAME"] == "gateway_session" and not settings["SESSION_COOKIE_SECURE"]
    assert settings["GLOBUS_HTTP_TIMEOUT"] == 10.0 and settings["GLOBUS_MAX_RETRIES"] == 1
    assert settings["WORKER_HTTP_TIMEOUT"] == 60.0
    assert settings["GLOBUS_AUTH_URL"] is None  # real Globus
    # The generated development secret is kept, private, in the instance folder.
    secret_file = tmp_path / "secret_key"
    assert settings["SECRET_KEY"] == secret_file.read_text().strip()
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert load_settings({"GATEWAY_INSTANCE_DIR": str(tmp_path)})["SECRET_KEY"] == settings["SECRET_KEY"]


def test_production_hardens_cookies(tmp_path):
    settings = load_settings({**PRODUCTION, "GATEWAY_INSTANCE_DIR": str(tmp_path)})
    assert settings["SESSION_COOKIE_NAME"] == "__Host-gateway_session"
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax" and settings["PREFERRED_URL_SCHEME"] == "https"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET"])
def test_production_refuses_to_start_without_required_settings(tmp_path, missing):
    env = {**PRODUCTION, "GATEWAY_INSTANCE_DIR": str(tmp_path)}
    del env[missing]
    with pytest.raises(ConfigError, match=missing.split("_KEYS")[0]):
        load_settings(env)


@pytest.mark.parametrize("secret", ["short", "7f3c9a1e5b2d8f4a6c0e9b3d7a1f5c2", "s" * 40, "ab" * 32, "changeme" * 5])
def test_production_refuses_a_short_or_repetitive_secret(tmp_path, secret):
    with pytest.raises(ConfigError, match="at least 32 random bytes"):
        load_settings({**PRODUCTION, "SECRET_KEY": secret, "GATEWAY_INSTANCE_DIR": str(tmp_path)})


def test_production_refuses_to_start_without_trusted_hosts(tmp_path):
    env = {**PRODUCTION, "GATEWAY_INSTANCE_DIR": str(tmp_path)}
    del env["TRUSTED_HOSTS"]
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        load_settings(env)


def test_production_refuses_to_start_with_an_emulator_manifest(tmp_path):
    manifest = tmp_path / "emulator.json"
    manifest.write_text(json.dumps({"services": {}}))
    with pytest.raises(ConfigError, match="GATEWAY_EMULATOR_MANIFEST"):
        load_settings({**PRODUCTION, "GATEWAY_INSTANCE_DIR": str(tmp_path), "GATEWAY_EMULATOR_MANIFEST": str(manifest)})


def test_emulator_manifest_fills_client_and_service_urls(tmp_path):
    manifest = tmp_path / "emulator.json"
    manifest.write_text(
        json.dumps(
            {
                "base_url": "http://127.0.0.1:8111",
                "issuer": "http://127.0.0.1:8111/auth",
                "services": {
                    "auth": "http://127.0.0.1:8111/auth/",
                    "transfer": "http://127.0.0.1:8111/transfer/",
                    "search": "http://127.0.0.1:8111/search/",
                },
                "clients": {"portal": {"client_id": "cid", "client_secret": "csecret"}},
                "search_index": {"id": "index-1"},
            }
        )
    )
    settings = load_settings({"GATEWAY_INSTANCE_DIR": str(tmp_path), "GATEWAY_EMULATOR_MANIFEST": str(manifest)})
    assert (settings["GLOBUS_CLIENT_ID"], settings["GLOBUS_CLIENT_SECRET"]) == ("cid", "csecret")
    assert settings["GLOBUS_TRANSFER_URL"] == "http://127.0.0.1:8111/transfer/"
    assert settings["GLOBUS_SEARCH_INDEX_ID"] == "index-1"
    assert settings["GLOBUS_AUTH_ISSUER"] == "http://127.0.0.1:8111/auth"
    explicit = load_settings(
        {
            "GATEWAY_INSTANCE_DIR": str(tmp_path),
            "GATEWAY_EMULATOR_MANIFEST": str(manifest),
            "GLOBUS_CLIENT_ID": "explicit",
        }
    )
    assert explicit["GLOBUS_CLIENT_ID"] == "explicit"


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="start the emulator first"):
        load_settings({"GATEWAY_INSTANCE_DIR": str(tmp_path), "GATEWAY_EMULATOR_MANIFEST": str(tmp_path / "no.json")})


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("GATEWAY_ENV", "staging", "not one of"),
        ("SESSION_BACKEND", "memcached", "not one of"),
        ("GLOBUS_HTTP_TIMEOUT", "soon", "number of seconds"),
        ("GLOBUS_HTTP_TIMEOUT", "0", "positive"),
        ("GLOBUS_MAX_RETRIES", "-1", "at least 0"),
        ("SESSION_IDLE_MINUTES", "ten", "whole number"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings({"GATEWAY_INSTANCE_DIR": str(tmp_path), name: value})
    assert name in str(raised.value)


def test_overrides_use_environment_names(tmp_path):
    settings = load_settings(
        {"GATEWAY_INSTANCE_DIR": str(tmp_path)},
        {"GATEWAY_ENV": "test", "GLOBUS_HTTP_TIMEOUT": 3, "MAX_CONTENT_LENGTH": 10},
    )
    assert settings["TESTING"] is True and settings["GLOBUS_HTTP_TIMEOUT"] == 3.0
    assert settings["MAX_CONTENT_LENGTH"] == 10


def test_production_refuses_an_unreadable_key_file_in_one_line(tmp_path):
    from app import create_app

    key_file = tmp_path / "keys"
    key_file.write_text(generate_key_line("k1") + "\n")
    key_file.chmod(0o600)
    env = {**PRODUCTION, "GATEWAY_INSTANCE_DIR": str(tmp_path / "instance")}
    del env["TOKEN_ENCRYPTION_KEYS"]
    for path in (tmp_path / "missing", tmp_path):  # absent, and a folder instead of a file
        with pytest.raises(ConfigError, match="token encryption keys cannot be used"):
            create_app({**env, "TOKEN_ENCRYPTION_KEY_FILE": str(path)})
    with pytest.raises(ConfigError, match="cannot be used"):
        create_app({**env, "TOKEN_ENCRYPTION_KEYS": "not a key line"})


def test_production_on_sqlite_warns_loudly(tmp_path, caplog):
    from app import create_app

    with caplog.at_level("WARNING"):
        # SQLite named explicitly: CI's PostgreSQL pass sets DATABASE_URL in the environment.
        create_app(
            {
                **PRODUCTION,
                "GATEWAY_INSTANCE_DIR": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
            }
        )
    assert "PRODUCTION ON SQLITE" in caplog.text
