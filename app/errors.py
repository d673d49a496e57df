"""One registration of pages and JSON bodies for domain errors and HTTP errors.

HTML for browsers; JSON for `/api/` paths and for clients that prefer application/json. Pages
never show a traceback; 5xx details go to the (redacted) log only.
"""

from __future__ import annotations

import logging

from flask import Flask, flash, jsonify, make_response, redirect, render_template, request, session, url_for
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from app.auth.access import current_user_id
from app.ops.request_context import current_request_id
from app.security import form_stash
from app.security.csrf import SessionEnded
from app.security.redirects import safe_next_path, same_site_referrer
from app.services import consent
from app.services.errors import (
    CollectionUnavailable,
    DomainError,
    InvalidRequest,
    LoginCancelled,
    LoginRefused,
    ReauthenticationRequired,
    RemoteUnavailable,
)

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


def wants_json() -> bool:
    """True for API paths and for clients that prefer JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _json_error(error: DomainError, **extra):
    body = {"error": error.code, "message": error.message, "request_id": current_request_id(), **extra}
    return jsonify(body), error.status_code


def handle_reauthentication(error: ReauthenticationRequired):
    """Send the user through login again (with the extra scopes), then back to what they did."""
    if wants_json():
        return _json_error(error, required_scopes=error.scopes, login_url=url_for("auth.login"))
    if request.method == "GET":
        next_path = safe_next_path(request.full_path.rstrip("?")) or url_for("dashboard.index")
    else:
        if consent.stash_form(session, request.path, request.form.items(multi=True), user_id=current_user_id()):
            next_path = url_for("auth.resume")
        else:
            flash("Your form was too large to keep while you logged in again; please submit it again.", "warning")
            next_path = _same_site_referrer() or url_for("dashboard.index")
    try:
        allowed = consent.remember_consent_request(session, error.scopes, next_path)
    except InvalidRequest:
        log.warning("consent request with scopes outside the allowlist refused")
        return _page(
            "errors/error.html",
            400,
            title="Consent cannot be requested",
            message="Globus asked for access this portal does not request. Please contact the portal team.",
        )
    if not allowed:
        return _page(
            "errors/error.html",
            403,
            title="Consent was not granted",
            message="Globus still reports that consent is missing after several logins. "
            "Check the consent screen at Globus Auth, or contact the portal team.",
        )
    # The scopes ride along in the URL for transparency; /login uses the session's copy first.
    return redirect(url_for("auth.login", next=next_path, scopes=" ".join(error.scopes) or None))


def handle_session_ended(error: SessionEnded):
    """A form from an ended session: say so, keep what was typed (sealed cookie), offer to log in again."""
    if wants_json():
        return jsonify(
            {"error": "session_ended", "message": error.description, "request_id": current_request_id()}
        ), 401
    came_from = _same_site_referrer()
    sealed = None
    if request.method == "POST" and form_stash.same_origin(request):
        sealed = form_stash.seal(request.path, request.form.items(multi=True))
    login_url = url_for("auth.login", next=came_from or url_for("dashboard.index"))
    response = _page(
        "errors/session_ended.html",
        401,
        kept=sealed is not None,
        had_upload=any(upload.filename for upload in request.files.values()),
        login_url=login_url,
        came_from=came_from,
    )
    if sealed is not None:
        form_stash.keep(response, sealed)
    return response


def handle_unavailable(error: RemoteUnavailable):
    """503: say which service (or which collection) is down and offer to retry."""
    if wants_json():
        extra = {"collection": error.collection_name} if isinstance(error, CollectionUnavailable) else {}
        response, status = _json_error(error, service=error.service, **extra)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, status
    if request.endpoint == "auth.callback":
        retry_url = url_for("auth.login")
    elif request.method == "GET":
        retry_url = safe_next_path(request.full_path.rstrip("?")) or url_for("dashboard.index")
    else:
        retry_url = _same_site_referrer() or url_for("dashboard.index")
    template = (
        "errors/collection_unavailable.html" if isinstance(error, CollectionUnavailable) else "errors/unavailable.html"
    )
    response = _page(template, 503, error=error, retry_url=retry_url)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_login_problem(error: LoginRefused | LoginCancelled):
    """A refused or cancelled login: a friendly page with a way to try again."""
    if wants_json():
        return _json_error(error)
    template = "auth/access_denied.html" if isinstance(error, LoginCancelled) else "auth/login_refused.html"
    return _page(template, error.status_code, error=error)


def handle_domain_error(error: DomainError):
    """Permission denied, not found, invalid request: one page each, or JSON."""
    if wants_json():
        extra = {"field": error.field} if isinstance(error, InvalidRequest) and error.field else {}
        return _json_error(error, **extra)
    titles = {
        403: "Permission denied",
        404: "Not found",
        400: "That request was not accepted",
        409: "That could not be done",
    }
    return _page(
        "errors/error.html",
        error.status_code,
        title=titles.get(error.status_code, "Something went wrong"),
        message=error.message,
    )


def handle_http_error(error: HTTPException):
    """Werkzeug's HTTP errors (and unhandled exceptions, as 500) as our own pages."""
    status = error.code or 500
    message = error.description if status < 500 else "Something went wrong on our side. Please try again."
    if wants_json():
        return jsonify(
            {"error": error.name.lower().replace(" ", "_"), "message": message, "request_id": current_request_id()}
        ), status
    return _page("errors/error.html", status, title=error.name, message=message)


# Statuses where the same request may well work a moment later.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def _way_back() -> tuple[str | None, str]:
    """Where the user came from, named: the folder, collection or task of this URL, else the referring page."""
    args = request.view_args or {}
    try:
        if args.get("task_id") and request.endpoint == "tasks.detail":
            # The task page itself failed: back to the list, never to the same page.
            return url_for("tasks.index"), "Back to your tasks"
        if args.get("task_id"):
            return url_for("tasks.detail", task_id=args["task_id"]), "Back to the task"
        if request.endpoint in ("collections.detail", "browse.folder"):
            # The collection itself could not be shown (a folder's own refusals are said inline).
            return url_for("collections.search"), "Back to the collections"
        if args.get("collection_id"):
            folder = request.values.get("path") or request.values.get("left_path") or request.values.get("right_path")
            if not folder:
                return url_for("collections.detail", collection_id=args["collection_id"]), "Back to the collection"
            return url_for("browse.folder", collection_id=args["collection_id"], path=folder), "Back to the folder"
    except BuildError:
        # A way back must never turn an error page into a 500 (say, a route renamed since).
        log.warning("no way back for %s", request.endpoint)
    came_from = _same_site_referrer()
    if came_from and came_from != request.full_path.rstrip("?"):
        return came_from, "Back to the page you were on"
    return None, ""


def _page(template: str, status: int, **context):
    if request_ctx.url_adapter is None:
        # An untrusted Host header leaves no URL adapter, so no page that links anywhere can render.
        return make_response((f"{status} {context.get('title') or 'Error'}\n", status, {"Content-Type": "text/plain"}))
    back_url, back_label = _way_back()
    context.setdefault("back_url", back_url)
    context.setdefault("back_label", back_label)
    if "retry_url" not in context:
        retryable = request.method == "GET" and status in RETRYABLE_STATUSES
        context["retry_url"] = safe_next_path(request.full_path.rstrip("?")) if retryable else None
    return make_response(render_template(template, status=status, **context), status)


def _same_site_referrer() -> str | None:
    return same_site_referrer(request.referrer, request.host_url)


def register_error_handlers(app: Flask) -> None:
    """Register every handler, once."""
    app.register_error_handler(ReauthenticationRequired, handle_reauthentication)
    app.register_error_handler(RemoteUnavailable, handle_unavailable)
    app.register_error_handler(LoginRefused, handle_login_problem)
    app.register_error_handler(LoginCancelled, handle_login_problem)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(SessionEnded, handle_session_ended)
    app.register_error_handler(HTTPException, handle_http_error)
