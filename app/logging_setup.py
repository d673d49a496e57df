"""Process logging: one stream handler with token redaction, quiet third-party debug output."""
from __future__ import annotations

import logging

from flask import Flask

from app.security.log_redaction import install_redaction


def configure_logging(app: Flask) -> None:
    """Make sure every handler that writes our logs redacts tokens first."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # The SDK logs flow parameters at DEBUG; nothing it logs is useful enough to risk that.
    logging.getLogger("globus_sdk").setLevel(logging.WARNING)
    install_redaction(root)
    install_redaction(app.logger)
    install_redaction(logging.getLogger("werkzeug"))
    install_redaction(logging.getLogger("gunicorn.error"))
    install_redaction(logging.getLogger("gunicorn.access"))
