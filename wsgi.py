"""WSGI entry point from a source checkout: `gunicorn -c config/gunicorn.conf.py wsgi:app`.

The installed package's own entry is app.wsgi (what the shipped gunicorn config and
`gateway run --gunicorn` use); this module only re-exports it.
"""

from app.wsgi import app

__all__ = ["app"]
