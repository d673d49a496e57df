"""Browser login and logout: the portal's half of the OAuth2/OIDC dance and of the clean-up.

The pending logins (state, PKCE verifier, nonce, where to go next) are a mapping by state value
that the caller keeps for the browser (app/security/login_state.py: a sealed cookie, so that no
session is stored before a real login); the callback consumes its entry before anything else.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from flask import current_app

from app.extensions import db
from app.security.csrf import rotate_csrf_token
from app.security.redirects import safe_next_path
from app.security.session_policy import start_authenticated_session
from app.server_sessions import end_user_sessions, regenerate_session_id
from app.services import consent, task_watch, tasks, token_health, token_records, user_clients, users
from app.services.errors import LoginCancelled, LoginRefused, RemoteUnavailable
from app.services.globus import auth_flow
from app.services.globus.clients import AUTH_RESOURCE_SERVER
from app.services.globus.scopes import login_scopes, requested_scopes_by_resource_server
from app.services.revocations import discard_user_tokens
from app.worker.queue import enqueue_after_commit

log = logging.getLogger(__name__)

MAX_PENDING_FLOWS = 5
FLOW_LIFETIME = 15 * 60


@dataclass(frozen=True)
class LoginResult:
    """Who logged in and where to send them."""

    user_id: int
    next_path: str
    has_stashed_form: bool


def begin_login(
    flows: MutableMapping[str, dict],
    *,
    redirect_uri: str,
    next_path: str,
    extra_scopes: list[str],
    user_id: int | None,
) -> str:
    """Add a new pending login to `flows` (dropping expired and surplus ones); return the Auth URL."""
    previous = token_records.requested_scopes(user_id) if user_id is not None else []
    scopes = login_scopes(previous, extra_scopes)
    state = secrets.token_urlsafe(32)  # 256 bits
    verifier = secrets.token_urlsafe(64)  # 86 characters, inside PKCE's 43..128
    nonce = secrets.token_urlsafe(32)
    now = int(time.time())
    for key in [key for key, flow in flows.items() if now - int(flow.get("created", 0)) > FLOW_LIFETIME]:
        flows.pop(key)
    # Several tabs may log in at once, but only a few: the oldest are dropped.
    for key in sorted(flows, key=lambda k: flows[k]["created"])[: max(0, len(flows) - MAX_PENDING_FLOWS + 1)]:
        flows.pop(key)
    flows[state] = {
        "verifier": verifier,
        "nonce": nonce,
        "next": safe_next_path(next_path) or "/",
        "scopes": scopes,
        "created": now,
    }
    return auth_flow.authorize_url(
        user_clients.settings(), redirect_uri=redirect_uri, scopes=scopes, state=state, verifier=verifier, nonce=nonce
    )


def complete_login(
    session: MutableMapping,
    flows: MutableMapping[str, dict],
    args: Mapping[str, str],
    *,
    redirect_uri: str,
    expired_form: object = None,
) -> LoginResult:
    """Check the callback, exchange the code, store user and tokens, and rotate the session."""
    flow = _take_flow(flows, args.get("state"))
    error = args.get("error")
    if error:
        if error == "access_denied":
            raise LoginCancelled("You declined to log in to the Science Gateway with Globus.")
        raise LoginRefused("provider_error", "Globus Auth could not complete the login.")
    if flow is None:
        raise LoginRefused(
            "state",
            "This login response does not belong to a login started in this browser session "
            "(it is missing, was already used, or has expired).",
        )
    code = args.get("code")
    if not code:
        raise LoginRefused("code_missing", "Globus Auth did not send an authorization code.")

    grant = auth_flow.exchange_code(
        user_clients.settings(), redirect_uri=redirect_uri, code=code, verifier=flow["verifier"], nonce=flow["nonce"]
    )
    userinfo = _userinfo(grant)
    user_id = users.upsert_user_from_login(grant.claims, userinfo)
    # Fresh tokens: the worker may act for the user again and follows their unfinished tasks.
    if token_health.tokens_dead(user_id) is not None:
        token_health.clear_tokens_dead(user_id)
        task_watch.resume_watching(user_id)
    # Committed here, not at the request's end: the token rows written next, in their own
    # transactions (app/services/token_records.py), refer to this user row.
    db.session.commit()
    _store_grant(user_id, grant, flow["scopes"])
    # Revokes what this login replaced (another browser's or an earlier login's grant), and
    # finishes revocations an earlier logout could not complete: in the worker, once this
    # request is done, so a slow Globus Auth never holds up the login.
    from app.worker.jobs.maintenance import revoke_pending_tokens

    enqueue_after_commit(revoke_pending_tokens, user_id)

    stash = consent.stash_owned_by(session, user_id)
    consent_loop = session.get(consent.LOOP_KEY)
    # A new session id (the old one is deleted from the store), then nothing carried over from
    # before authentication except a form waiting to be replayed.
    regenerate_session_id(current_app, session)
    session.clear()
    if stash:
        session[consent.STASH_KEY] = stash
    if consent_loop:
        session[consent.LOOP_KEY] = consent_loop
    claims = grant.claims
    start_authenticated_session(
        user_id, str(claims.get("name") or claims.get("preferred_username") or claims.get("email") or "")
    )
    rotate_csrf_token()
    # A form this browser posted after its session ended (app/security/form_stash.py) comes back too.
    adopted = consent.adopt_expired_form(session, expired_form, user_id=user_id)
    return LoginResult(user_id=user_id, next_path=flow["next"], has_stashed_form=bool(stash) or adopted)


def logout(user_id: int, *, everywhere: bool = False) -> None:
    """Revoke and delete every token of the user (failed revocations stay queued).

    `everywhere` also ends every other server-side session of the user (other browsers, devices).
    """
    if everywhere:
        ended = end_user_sessions(current_app, user_id)
        log.info("user %s logged out of all %d session(s)", user_id, ended)
    report = discard_user_tokens(user_id)
    tasks.forget_user_tasks(user_id)
    if report.pending:
        log.warning("logout of user %s left %d revocation(s) pending", user_id, report.pending)


def logout_redirect_url(*, return_to: str, site_name: str) -> str:
    """Where the browser goes after local logout: Globus Auth's own logout page."""
    return auth_flow.logout_url(user_clients.settings(), redirect_uri=return_to, redirect_name=site_name)


def _take_flow(flows: MutableMapping[str, dict], state: str | None) -> dict | None:
    # Consumed before anything else happens: the browser's copy loses it with this response.
    flow = flows.pop(state, None) if state else None
    if flow is not None and int(time.time()) - int(flow.get("created", 0)) > FLOW_LIFETIME:
        return None
    return flow


def _userinfo(grant: auth_flow.TokenGrant) -> dict | None:
    if isinstance(grant.claims.get("identity_set"), list):
        # Globus Auth's validated id_token already carries the linked identities (identity_set)
        # and the profile claims; userinfo would only repeat them, at one more round trip.
        return None
    auth_tokens = grant.by_resource_server.get(AUTH_RESOURCE_SERVER)
    if not auth_tokens:
        return None
    try:
        return auth_flow.fetch_userinfo(user_clients.settings(), auth_tokens["access_token"])
    except RemoteUnavailable:
        # The id_token already proved who this is; linked identities refresh at the next login.
        log.warning("userinfo unavailable; continuing with id_token claims only")
        return None


def _store_grant(user_id: int, grant: auth_flow.TokenGrant, requested: list[str]) -> None:
    granted = {rs: data.get("scope", "") for rs, data in grant.by_resource_server.items()}
    requested_by_rs = requested_scopes_by_resource_server(requested, granted)
    # One transaction for the whole grant: all of a login's tokens are stored, or none.
    token_records.save_tokens(
        user_id,
        [
            token_records.TokenWrite(
                resource_server,
                scopes=data.get("scope", ""),
                expires_at=int(data["expires_at_seconds"]),
                access_token=data["access_token"],
                refresh_token=data.get("refresh_token"),
                token_type=data.get("token_type"),
                requested_scopes=requested_by_rs.get(resource_server, ""),
            )
            for resource_server, data in grant.by_resource_server.items()
        ],
        revoke_replaced=True,
    )
