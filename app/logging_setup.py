"""Process logging: one stream handler with token redaction and request ids, quiet third-party debug.

LOG_FORMAT=json writes one JSON object per line (the production default), text writes readable
lines; both carry the id of the request each line was written for (app/ops/request_context).
"""

from __future__ import annotations

import logging

from flask import Flask

from app.ops.log_format import RequestIdFilter, formatter_for
from app.security.log_redaction import install_redaction

# gunicorn's loggers have their own handlers; ours (and the root's) get the same treatment.
_SERVER_LOGGERS = ("werkzeug", "gunicorn.error", "gunicorn.access")


def configure_logging(app: Flask) -> None:
    """Make sure every handler that writes our logs redacts tokens first and knows the request id."""
    root = logging.getLogger()
    formatter = formatter_for(app.config.get("LOG_FORMAT", "text"))
    if not root.handlers:
        stream_handler = logging.StreamHandler()
        stream_handler.setFormatter(formatter)
        root.addHandler(stream_handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # The SDK logs flow parameters at DEBUG; nothing it logs is useful enough to risk that.
    logging.getLogger("globus_sdk").setLevel(logging.WARNING)
    loggers = [root, app.logger, *(logging.getLogger(name) for name in _SERVER_LOGGERS)]
    for logger in loggers:
        install_redaction(logger)
        _install_request_id(logger)
    if app.config.get("LOG_FORMAT") == "json":
        # gunicorn's own lines (errors, access) become JSON too, so every stdout line parses.
        for name in ("gunicorn.error", "gunicorn.access"):
            for handler in logging.getLogger(name).handlers:
                handler.setFormatter(formatter)


def _install_request_id(logger: logging.Logger) -> None:
    for handler in logger.handlers:
        if not any(isinstance(existing, RequestIdFilter) for existing in handler.filters):
            handler.addFilter(RequestIdFilter())
