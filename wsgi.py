"""WSGI entry point for gunicorn: `gunicorn -c config/gunicorn.conf.py wsgi:app`."""
from __future__ import annotations

from dotenv import load_dotenv

from config.settings import PROJECT_ROOT

load_dotenv(PROJECT_ROOT / ".env", override=False)

from app import create_app  # noqa: E402  (after .env, so it sees those settings)

app = create_app()
