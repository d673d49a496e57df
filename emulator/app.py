"""The emulator's app factory: one Flask app serving every emulated Globus service."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from emulator.db import init_db
from emulator.errors import register_error_handlers
from emulator.settings import EmulatorSettings


def create_app(settings: EmulatorSettings) -> Flask:
    """Build the emulator for an instance folder (its database, keys and data root live there)."""
    instance = Path(settings.instance_dir).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance), template_folder="templates", static_folder=None)
    app.json = StrictJSONProvider(app)
    app.config.update(
        EMULATOR_SETTINGS=settings,
        EMULATOR_DATABASE=str(instance / "emulator.sqlite3"),
        EMULATOR_DATA_ROOT=str(instance / "data"),
        # Signs the emulator's own login cookie (its login page), never anything of the portal's.
        SECRET_KEY=_instance_secret(instance),
        SESSION_COOKIE_NAME="globus_emulator_session",
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    register_error_handlers(app)
    init_db(app)

    from emulator.auth import bp as auth_bp
    from emulator.control import bp as control_bp
    from emulator.https import bp as https_bp
    from emulator.search import bp as search_bp
    from emulator.transfer.http import bp as transfer_bp

    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(transfer_bp, url_prefix="/transfer")
    app.register_blueprint(search_bp, url_prefix="/search")
    app.register_blueprint(https_bp, url_prefix="/https")
    app.register_blueprint(control_bp, url_prefix="/_emulator")
    return app


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that request bodies with NaN or Infinity (not JSON by RFC 8259) are refused."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a body; a non-standard constant fails like any other malformed JSON (the views answer 400)."""
        return json.loads(s, parse_constant=_refuse_constant, parse_float=_finite_float, **kwargs)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # 1e400 would otherwise become Infinity and reach code that cannot handle it.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _instance_secret(instance: Path) -> str:
    path = instance / "emulator-secret-key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    return path.read_text().strip()
