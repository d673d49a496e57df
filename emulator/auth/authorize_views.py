"""GET /v2/oauth2/authorize and the emulator's own login and consent pages behind it.

Problems with the client or redirect URI are shown as an HTML page (never redirected: the URI
is not trusted yet); everything after that goes back to the client as `error=` on the redirect.
"""

from __future__ import annotations

import time

from flask import redirect, request, url_for
from sqlalchemy import func, select

from emulator.auth import bp
from emulator.auth.authorize_flow import (
    PendingRequest,
    client_redirect_uris,
    csrf_ok,
    csrf_token,
    drop_pending,
    issue_code,
    load_pending,
    log_in,
    logged_in_identity,
    missing_consents,
    record_consents,
    redirect_with,
    save_pending,
    update_pending,
    validate_pkce,
)
from emulator.auth.credentials import check_password
from emulator.auth.models import Client, Identity
from emulator.auth.page_headers import html_page
from emulator.auth.scope_catalog import InvalidScope, describe, parse_requested
from emulator.auth.scope_parser import parse_scopes
from emulator.db import db_session, write_lock


def error_page(title: str, message: str, status: int = 400):
    """An HTML error page for problems that must not be redirected to the client."""
    return html_page("auth/error.html", status=status, title=title, message=message)


def _client_error(pending_redirect: str, error: str, description: str, state: str | None):
    return redirect(redirect_with(pending_redirect, {"error": error, "error_description": description, "state": state}))


@bp.get("/v2/oauth2/authorize")
def authorize():
    """Start (or resume) a sign-in for a client: validate, then log in, consent and redirect."""
    args = request.args
    session = db_session()
    client = session.get(Client, args.get("client_id", ""))
    if client is None:
        return error_page("Unknown application", "The application that sent you here is not registered.")
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in client_redirect_uris(client):
        return error_page(
            "Invalid redirect address", f"{client.name} asked to send you back to an address it has not registered."
        )
    state = args.get("state")
    if args.get("response_type") != "code":
        return _client_error(redirect_uri, "unsupported_response_type", "Only response_type=code is supported.", state)
    try:
        parse_requested(session, args.get("scope", ""))
    except InvalidScope as err:
        return _client_error(redirect_uri, "invalid_scope", str(err), state)
    pkce_problem = validate_pkce(args.get("code_challenge"), args.get("code_challenge_method"))
    if pkce_problem:
        return _client_error(redirect_uri, "invalid_request", pkce_problem, state)
    prompts = set((args.get("prompt") or "").split())
    pending = PendingRequest(
        client_id=client.id,
        redirect_uri=redirect_uri,
        scope=args["scope"],
        state=state,
        nonce=args.get("nonce"),
        code_challenge=args.get("code_challenge"),
        code_challenge_method=args.get("code_challenge_method"),
        offline=args.get("access_type") == "offline",
        prompt_login="login" in prompts,
        prompt_consent="consent" in prompts,
        session_message=args.get("session_message"),
        created=int(time.time()),
    )
    with write_lock:
        rid = save_pending(session, pending)
        session.commit()
    return _advance(rid, pending, client)


@bp.get("/v2/oauth2/authorize/continue")
def authorize_continue():
    """Pick a pending sign-in up again after the login form."""
    rid = request.args.get("rid", "")
    session = db_session()
    pending = load_pending(session, rid)
    client = session.get(Client, pending.client_id) if pending is not None else None
    if pending is None or client is None:  # the client may be removed while its user signs in
        return _expired()
    return _advance(rid, pending, client)


def _scope_text(session, scope: str) -> str:
    """How the consent page names a scope: its description, or the scope string itself."""
    info = describe(session, scope)
    return info.description if info is not None else scope


def _expired():
    return error_page(
        "Sign-in expired",
        "This sign-in request expired or was already completed. Go back to the application and start again.",
    )


def _advance(rid: str, pending: PendingRequest, client: Client):
    """Show whichever step is still missing (login, consent), or finish with a code."""
    session = db_session()
    identity = logged_in_identity(session)
    if identity is None or (pending.prompt_login and not pending.logged_in):
        return _login_page(rid, pending, client)
    nodes = parse_scopes(pending.scope)
    if pending.prompt_consent or missing_consents(session, identity.id, client.id, nodes):
        return _consent_page(rid, pending, client, identity)
    with write_lock:
        code = issue_code(session, pending, identity)
        drop_pending(session, rid)
        session.commit()
    return redirect(redirect_with(pending.redirect_uri, {"code": code, "state": pending.state}))


def _login_page(
    rid: str, pending: PendingRequest, client: Client, error: str | None = None, username: str = "", status: int = 200
):
    return html_page(
        "auth/login.html",
        status=status,
        redirect_uri=pending.redirect_uri,
        rid=rid,
        client=client,
        csrf=csrf_token(),
        error=error,
        username=username,
        session_message=pending.session_message,
        action=url_for("auth.authorize_login"),
    )


def _scope_lines(pending: PendingRequest) -> list[dict]:
    session = db_session()
    lines = []
    for node in parse_scopes(pending.scope):
        info = describe(session, node.name)
        lines.append(
            {
                "name": node.name,
                "text": info.description if info else node.name,
                "dependents": [_scope_text(session, child.name) for child in node.descendants()],
            }
        )
    return lines


def _consent_page(rid: str, pending: PendingRequest, client: Client, identity: Identity):
    return html_page(
        "auth/consent.html",
        redirect_uri=pending.redirect_uri,
        rid=rid,
        client=client,
        identity=identity,
        csrf=csrf_token(),
        scopes=_scope_lines(pending),
        offline=pending.offline,
        action=url_for("auth.authorize_consent"),
    )


def _posted_pending(form: str):
    """The sign-in a login or consent form was posted for, or the page to show instead (expired, CSRF)."""
    rid = request.form.get("rid", "")
    pending = load_pending(db_session(), rid)
    if pending is None:
        return rid, None, _expired()
    if not csrf_ok(request.form.get("csrf_token")):
        return (
            rid,
            None,
            error_page("Form expired", f"The {form} form expired. Go back to the application and start again."),
        )
    return rid, pending, None


@bp.post("/v2/oauth2/authorize/login")
def authorize_login():
    """Check a username and password from the login form."""
    rid, pending, refusal = _posted_pending("login")
    if refusal is not None:
        return refusal
    session = db_session()
    client = session.get(Client, pending.client_id)
    if client is None:
        return _expired()
    username = request.form.get("username", "").strip()
    identity = session.scalar(select(Identity).where(func.lower(Identity.username) == username.lower()))
    if identity is None or not check_password(request.form.get("password", ""), identity.password_hash):
        return _login_page(rid, pending, client, error="Wrong username or password.", username=username, status=401)
    log_in(identity)
    pending.logged_in = True
    with write_lock:
        update_pending(session, rid, pending)
        session.commit()
    return redirect(url_for("auth.authorize_continue", rid=rid), code=303)


@bp.post("/v2/oauth2/authorize/consent")
def authorize_consent():
    """Record the user's Allow, or send the client `access_denied` on Deny."""
    rid, pending, refusal = _posted_pending("consent")
    if refusal is not None:
        return refusal
    session = db_session()
    identity = logged_in_identity(session)
    client = session.get(Client, pending.client_id)
    if client is None:
        return _expired()
    if identity is None:
        return _login_page(rid, pending, client)
    decision = request.form.get("decision")
    if decision == "deny":
        with write_lock:
            drop_pending(session, rid)
            session.commit()
        return _client_error(pending.redirect_uri, "access_denied", "The user declined to give consent.", pending.state)
    if decision != "allow":
        return error_page("Unclear answer", "Choose Allow or Deny.")
    with write_lock:
        nodes = parse_scopes(pending.scope)
        record_consents(session, identity.id, client.id, missing_consents(session, identity.id, client.id, nodes))
        session.commit()
    return _advance(rid, pending, client)
