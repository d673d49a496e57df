"""A collection's HTTPS server: GET/HEAD/PUT/DELETE of files under /https/<collection_id>/<path>."""

from flask import Blueprint

bp = Blueprint("https", __name__)

# The view module registers its routes on `bp` when imported.
from emulator.https import views  # noqa: E402,F401
