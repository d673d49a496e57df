"""The OpenAPI document and its docs page (Swagger UI 5 from the installed flask-swagger-ui, no CDN).

The docs page has a CSP of its own: Swagger UI renders with inline style attributes and data:
images (its icons), which the portal's CSP forbids; its script stays 'self' only (no inline
script: the start-up code is static/js/api-docs.js). Everything else about the page is public:
it and the document describe the API, they grant nothing.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, jsonify, render_template, request, send_from_directory, url_for

from app.api import bp
from app.api.openapi import spec
from app.services import user_clients
from app.services.api_auth import api_scope

DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"})


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files inside the installed flask_swagger_ui package.

    Only its files are used (its blueprint renders an inline script, which the CSP forbids);
    Swagger UI 5 is the first to read OpenAPI 3.1 documents.
    """
    import flask_swagger_ui  # type: ignore[import-untyped]

    return Path(flask_swagger_ui.__file__).parent / "dist"


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API."""
    document = spec.document(request.url_root.rstrip("/") + (bp.url_prefix or ""))
    # The scope a caller must ask Globus Auth for: clients (clients/python) read it from here.
    client_id = user_clients.settings().client_id or ""
    document["components"]["securitySchemes"]["globus_bearer"]["x-globus-scope"] = api_scope(client_id)
    document["components"]["securitySchemes"]["globus_bearer"]["x-globus-auth-url"] = (
        user_clients.settings().auth_url or "https://auth.globus.org/"
    )
    return jsonify(document)


@bp.get("/docs")
def docs_page() -> Response:
    """The interactive API reference."""
    response = Response(
        render_template("api/docs.html", openapi_url=url_for("api.openapi_document")), content_type="text/html"
    )
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@bp.get("/docs/assets/<name>")
def docs_asset(name: str) -> Response:
    """One of Swagger UI's files."""
    if name not in ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_dir(), name, max_age=3600)
