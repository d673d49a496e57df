"""WSGI entry point for gunicorn: `gunicorn -c config/gunicorn.conf.py wsgi:app`."""
from __future__ import annotations

from dotenv import load_dotenv

import sys

from config.settings import PROJECT_ROOT, ConfigError

load_dotenv(PROJECT_ROOT / ".env", override=False)

from app import create_app  # noqa: E402  (after .env, so it sees those settings)

try:
    app = create_app()
except ConfigError as exc:
    # One clear line for the operator instead of a traceback in every worker's boot log.
    print(f"Science Gateway cannot start: {exc}", file=sys.stderr)
    raise SystemExit(3) from None
