"""The Science Gateway portal: create_app() builds the Flask application."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import resources
from app.settings import load_settings


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal from the environment (and optional overrides, same names as env vars)."""
    from app.blueprints import register_blueprints
    from app.database import init_database
    from app.errors import register_error_handlers
    from app.extensions import migrate
    from app.logging_setup import configure_logging
    from app.ops import init_ops
    from app.security.csrf import init_csrf
    from app.security.headers import init_security_headers
    from app.security.keyring_config import init_keyring
    from app.security.session_policy import init_session_policy
    from app.server_sessions import init_sessions
    from app.templating import init_templating
    from app.unit_of_work import init_unit_of_work

    settings = load_settings(overrides=config_overrides)
    app = Flask(
        __name__,
        instance_path=settings["GATEWAY_INSTANCE_DIR"],
        template_folder=str(resources.templates_dir()),
        static_folder=str(resources.static_dir()),
    )
    app.config.from_mapping(settings)
    # The default SQLite database, the demo key file and the session secret live here.
    # Created owner-only (0700): it holds the database, key files and secrets of a development setup.
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    configure_logging(app)
    # First hooks of every request: its id (for every later log line) and its timer.
    init_ops(app)
    if app.config["TRUSTED_PROXIES"]:
        count = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)  # type: ignore[method-assign]

    init_database(app)
    init_unit_of_work(app)
    if app.config["GATEWAY_ENV"] == "production" and app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.logger.warning(
            "PRODUCTION ON SQLITE: one file on one host, writes serialised; set DATABASE_URL to "
            "PostgreSQL (postgresql+psycopg://...) before serving real users."
        )
    migrate.init_app(app, directory=str(resources.migrations_dir()))
    init_keyring(app)
    init_sessions(app)
    # Order matters: timeouts decide who is logged in before CSRF and the views run.
    init_session_policy(app)
    init_csrf(app)
    init_security_headers(app)
    register_error_handlers(app)
    init_templating(app)
    register_blueprints(app)
    return app
