"""Portal fixtures (a pytest plugin loaded from tests/conftest.py).

- `portal_app`: a fresh portal app on its own migrated SQLite file, no network (unit/service tests).
- `live_portal`: the portal served on a real port by a Werkzeug server thread, configured from the
  session emulator's manifest, with its callback registered at the emulator. Browsers are
  `requests.Session`s that follow the real login flow, the emulator's login and consent forms
  included (`LivePortal.login` is that flow step by step; tests/users.py's `logged_in(portal,
  "alice")` is the usual way in).
DATABASE_URL / SESSION_BACKEND / REDIS_URL from the environment switch these to PostgreSQL/Redis.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import flask_migrate
import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine
from werkzeug.serving import make_server

from app import create_app, resources
from app.security.token_cipher import generate_key_line
from tests.emulator.helpers import run_browser
from tests.integration.probe_routes import probe_bp

MIGRATIONS = str(resources.migrations_dir())


def external_database_url() -> str | None:
    """A PostgreSQL URL from the environment (CI), or None for per-test SQLite files."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def isolated_database_url(base_url: str) -> str:
    """A new, empty schema in the external database, as a URL whose search_path selects it.

    Every test app gets its own schema, so one app's migrations never touch another's tables.
    """
    schema = f"gw_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


def drop_isolated_schema(url: str) -> None:
    """Drop the schema an isolated_database_url() created (no-op for SQLite URLs)."""
    if not url.startswith("postgresql") or "search_path%3D" not in url:
        return
    base, _, schema = url.rpartition("options=-csearch_path%3D")
    engine = create_engine(base.rstrip("?&"))
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def portal_overrides(instance: Path, **extra: Any) -> dict[str, Any]:
    """Config overrides for a test portal in `instance`."""
    external = external_database_url()
    database = isolated_database_url(external) if external else f"sqlite:///{instance / 'portal.sqlite3'}"
    overrides = {
        "GATEWAY_ENV": "test",
        "GATEWAY_INSTANCE_DIR": str(instance),
        "DATABASE_URL": database,
        "SESSION_BACKEND": os.environ.get("SESSION_BACKEND", "sqlalchemy"),
        "TOKEN_ENCRYPTION_KEYS": generate_key_line("test1"),
        "GLOBUS_CLIENT_ID": "client-id-for-tests",
        "GLOBUS_CLIENT_SECRET": "client-secret-for-tests",
    }
    if os.environ.get("REDIS_URL"):
        overrides["REDIS_URL"] = os.environ["REDIS_URL"]
    overrides.update(extra)
    return overrides


def build_migrated_app(overrides: dict[str, Any]) -> Flask:
    """create_app + `db upgrade` on an empty database."""
    app = create_app(overrides)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    return app


@pytest.fixture
def portal_app(tmp_path: Path) -> Iterator[Flask]:
    """A migrated portal app with no Globus behind it (for tests that stay local)."""
    app = build_migrated_app(portal_overrides(tmp_path / "instance"))
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    drop_isolated_schema(app.config["SQLALCHEMY_DATABASE_URI"])


@dataclass
class LivePortal:
    """A portal answering on a real port, logged into through the emulator."""

    app: Flask
    base_url: str
    emulator: Any

    def url(self, path: str) -> str:
        """Absolute URL of a portal path."""
        return urljoin(self.base_url + "/", path.lstrip("/"))

    @contextmanager
    def context(self) -> Iterator[None]:
        """An app context for calling services directly."""
        with self.app.app_context():
            yield

    def start_login(self, browser: requests.Session, next_path: str | None = None) -> str:
        """GET /login and return the Globus authorize URL it redirects to."""
        params = {"next": next_path} if next_path else None
        response = browser.get(self.url("/login"), params=params, allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]

    def authorize(self, browser: requests.Session, authorize_url: str, username: str, consent: str = "allow") -> str:
        """Play the user at the emulator; return the callback URL it sends the browser to."""
        result = run_browser(self.emulator, authorize_url, username, browser=browser, consent=consent)
        assert result.redirect_url.startswith(self.base_url + "/"), result.redirect_url
        return result.redirect_url

    def login(
        self, username: str, *, next_path: str | None = None, browser: requests.Session | None = None
    ) -> tuple[requests.Session, requests.Response]:
        """The whole browser login; returns the browser and the callback's response (not followed)."""
        browser = browser or requests.Session()
        callback_url = self.authorize(browser, self.start_login(browser, next_path), username)
        response = browser.get(callback_url, allow_redirects=False, timeout=30)
        return browser, response

    def logged_in(self, username: str) -> requests.Session:
        """Kept for tests written before tests/users.py: the same as `logged_in(portal, username)`."""
        from tests.users import logged_in

        return logged_in(self, username)

    def user_id(self, username: str) -> int:
        """The portal user id of a seeded emulator user (after they logged in)."""
        from sqlalchemy import select

        from app.extensions import db
        from app.models import User

        identity = self.emulator.user(username)["identity_id"]
        with self.context():
            return db.session.scalar(select(User.id).where(User.primary_identity_id == identity))


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a portal page."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture(scope="session")
def live_portal(emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """The portal on a free port, pointed at the session emulator."""
    instance = tmp_path_factory.mktemp("portal") / "instance"
    manifest = emulator.instance_dir / "emulator.json"
    app = build_migrated_app(
        portal_overrides(
            instance,
            GATEWAY_EMULATOR_MANIFEST=str(manifest),
            GLOBUS_CLIENT_ID=None,
            GLOBUS_CLIENT_SECRET=None,
        )
    )
    app.register_blueprint(probe_bp)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    response = emulator.control_post("redirect-uris", {"uri": f"{base_url}/auth/callback"})
    assert response.status_code == 200, response.text
    thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
    thread.start()
    yield LivePortal(app=app, base_url=base_url, emulator=emulator)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    drop_isolated_schema(app.config["SQLALCHEMY_DATABASE_URI"])
