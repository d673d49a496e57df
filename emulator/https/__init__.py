"""A collection's HTTPS server: GET/HEAD/PUT/DELETE of files under /https/<collection_id>/<path>."""
from flask import Blueprint

bp = Blueprint("https", __name__)
