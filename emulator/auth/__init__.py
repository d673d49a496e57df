"""Emulated Globus Auth: OAuth2/OIDC for browsers and clients, plus the identities API."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

# View modules register their routes on `bp` when imported.
from emulator.auth import (  # noqa: E402,F401
    api_views,
    authorize_views,
    logout_views,
    oidc_views,
    token_views,
)
