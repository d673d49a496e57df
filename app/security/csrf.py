"""CSRF protection: one random token per session, required on every state-changing request.

Forms carry it as the `csrf_token` field (templates call `csrf_token()`); scripts may send it in
the `X-CSRF-Token` header. No blueprint is exempt: the JSON API to come authenticates by bearer
token only and never reads the session cookie, so it has no session token to check.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, g, request, session
from werkzeug.exceptions import BadRequest, Unauthorized

from app.security.bearer_only import is_bearer_only

SESSION_KEY = "_csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
PROTECTED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CSRFError(BadRequest):
    """The request changes state but did not carry this session's CSRF token."""

    description = "This form has expired or did not come from this site. Reload the page and try again."


class SessionEnded(Unauthorized):
    """A form from a logged-in page arrived after that session ended (expired, or logged out elsewhere).

    app/errors.py keeps the form's fields (app/security/form_stash.py) and offers to log in again.
    """

    description = "Your session ended before this form was sent. Log in again to continue."


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
    if request.method not in PROTECTED_METHODS or is_bearer_only(request.path):
        # The JSON API has no session, hence no session token: its bearer token is the credential.
        return
    expected = session.get(SESSION_KEY)
    sent = request.headers.get(HEADER) or request.form.get(FORM_FIELD)
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a 500 before).
    if not expected or not sent or not hmac.compare_digest(str(expected).encode(), str(sent).encode()):
        if sent and not expected and g.get("current_user_id") is None:
            # The form carries a token, but this browser's session holds none: the session that
            # issued it ended (expired, or cleared by a logout). A token that merely differs from
            # this session's own is a forgery or a stale page, refused as such.
            raise SessionEnded()
        raise CSRFError()


def init_csrf(app: Flask) -> None:
    """Install the check and the `csrf_token()` template global."""
    app.before_request(check_csrf)
    app.add_template_global(csrf_token, "csrf_token")
