"""WSGI entry point for gunicorn: `app.wsgi:app` (the shipped gunicorn config names it)."""

from __future__ import annotations

import sys

from app import create_app
from app.settings import ConfigError, load_env_files

# Before create_app, so it sees those settings (nothing reads the environment at import time).
load_env_files()

try:
    app = create_app()
except ConfigError as exc:
    # One clear line for the operator instead of a traceback in every worker's boot log.
    print(f"Science Gateway cannot start: {exc}", file=sys.stderr)
    raise SystemExit(3) from None
