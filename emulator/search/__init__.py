"""Emulated Globus Search v1: indices, ingest and its tasks, subjects and entries, queries."""
from flask import Blueprint

bp = Blueprint("search", __name__)
