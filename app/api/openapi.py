"""The API's one ApiSpec: every operation registers on it, the OpenAPI document comes from it."""

from __future__ import annotations

from app.api import bp
from app.api.spec import ApiSpec

spec = ApiSpec(
    blueprint=bp,
    title="Science Gateway API",
    version="1.0.0",
    description=(
        "Act for a gateway user from another portal, a pipeline or a notebook. Authenticate with a "
        "Globus Auth access token for https://auth.globus.org/scopes/<gateway client id>/gateway_api "
        "(Authorization: Bearer ...). Every list pages with limit/offset or marker and says has_next_page. "
        "Errors are {error, message, request_id, details}."
    ),
)
