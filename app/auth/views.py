"""Auth routes: thin wrappers over app.services.auth and app.services.consent."""

from __future__ import annotations

from flask import Response, after_this_request, redirect, render_template, request, session, url_for

from app.auth import bp
from app.auth.access import current_user_id, login_required, signed_in_user_id
from app.security import form_stash, login_state
from app.security.redirects import safe_next_path
from app.services import auth as auth_service
from app.services import consent, form_resume
from app.transfers.views import batch_page, review_page

SITE_NAME = "Science Gateway"


@bp.get("/login")
def login():
    """Start a Globus login (optionally asking for extra consent), then return to `next`."""
    next_path = safe_next_path(request.args.get("next")) or url_for("dashboard.index")
    login_request = consent.take_login_request(session, request.args.get("scopes"))
    if current_user_id() is not None and not login_request.required:
        return redirect(next_path)
    flows = login_state.read_flows(request)
    login_state.save_after_request(flows, lifetime=auth_service.FLOW_LIFETIME)
    authorize_url = auth_service.begin_login(
        flows,
        redirect_uri=url_for("auth.callback", _external=True),
        next_path=next_path,
        extra_scopes=login_request.extra_scopes,
        user_id=current_user_id(),
    )
    return redirect(authorize_url)


@bp.get("/auth/callback")
def callback():
    """Globus Auth returns here with a code (or an error)."""
    flows = login_state.read_flows(request)
    login_state.save_after_request(flows, lifetime=auth_service.FLOW_LIFETIME)
    expired_form = form_stash.read(request)
    result = auth_service.complete_login(
        session,
        flows,
        request.args,
        redirect_uri=url_for("auth.callback", _external=True),
        expired_form=expired_form,
    )
    if expired_form is not None:

        @after_this_request
        def _forget_cookie(response: Response) -> Response:
            # Handed to the logged-in session: the browser's copy has done its job.
            form_stash.discard(response)
            return response

    if result.has_stashed_form:
        return redirect(url_for("auth.resume"))
    return redirect(result.next_path)


@bp.get("/auth/resume")
@login_required
def resume():
    """Show a form interrupted by a login (consent, or an ended session) again, filled in, to check and send."""
    restored = form_resume.restore(session, signed_in_user_id())
    if restored.review is not None:
        return review_page(restored.review, restored.back, resumed=restored.reason)
    if restored.batch is not None:
        return batch_page(restored.batch, resumed=restored.reason)
    return render_template("auth/resume.html", stashed=restored.stashed)


@bp.post("/logout")
def logout():
    """Revoke and delete the user's tokens, end the session (or all of them), then log out of Globus Auth too."""
    user_id = current_user_id()
    session.clear()
    if user_id is None:
        return redirect(url_for("auth.logged_out"))
    auth_service.logout(user_id, everywhere=request.form.get("everywhere") == "1")
    return redirect(
        auth_service.logout_redirect_url(return_to=url_for("auth.logged_out", _external=True), site_name=SITE_NAME)
    )


@bp.get("/logged-out")
def logged_out():
    """Where Globus Auth sends the browser after its own logout."""
    return render_template("auth/logged_out.html")
