"""CSRF protection: one random token per session, required on every state-changing request.

Forms carry it as the `csrf_token` field (templates call `csrf_token()`); scripts may send it in
the `X-CSRF-Token` header. Blueprints in CSRF_EXEMPT_BLUEPRINTS (the bearer-token JSON API) are
skipped because they never rely on the session cookie.
"""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, current_app, request, session
from werkzeug.exceptions import BadRequest

SESSION_KEY = "_csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
PROTECTED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CSRFError(BadRequest):
    """The request changes state but did not carry this session's CSRF token."""

    description = "This form has expired or did not come from this site. Reload the page and try again."


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def rotate_csrf_token() -> None:
    """Issue a new token (at login), so a token seen before authentication is useless after."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)


def check_csrf() -> None:
    """Refuse a state-changing request without a matching token (a before_request hook)."""
    if request.method not in PROTECTED_METHODS:
        return
    if request.blueprint and request.blueprint.split(".")[0] in current_app.config.get(
        "CSRF_EXEMPT_BLUEPRINTS", ()
    ):
        return
    expected = session.get(SESSION_KEY)
    sent = request.headers.get(HEADER) or request.form.get(FORM_FIELD)
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise CSRFError()


def init_csrf(app: Flask) -> None:
    """Install the check and the `csrf_token()` template global."""
    app.before_request(check_csrf)
    app.add_template_global(csrf_token, "csrf_token")
