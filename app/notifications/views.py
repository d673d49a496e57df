"""Notification routes: list (paged), mark one or all read (POST + CSRF), preferences."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.auth.access import current_user_id, login_required, signed_in_user_id
from app.notifications import bp
from app.security.redirects import safe_next_path
from app.services import notifications
from app.services.errors import refusable
from app.services.paging import parse_offset


@bp.app_context_processor
def _bell() -> dict:
    # A function, so only pages that render the header (and a logged-in user) run the count query.
    def unread_notifications() -> int:
        user_id = current_user_id()
        return notifications.unread_count(user_id) if user_id is not None else 0

    def globus_emails_on() -> bool:
        user_id = current_user_id()
        return user_id is not None and notifications.globus_emails_enabled(user_id)

    return {"unread_notifications": unread_notifications, "globus_emails_on": globus_emails_on}


@bp.get("")
@login_required
def index():
    """The user's notifications, newest first, 25 a page."""
    offset = max(0, parse_offset(request.args.get("offset")))
    page = notifications.notification_page(signed_in_user_id(), offset=offset)
    return render_template("notifications/list.html", page=page, kinds=notifications.KINDS)


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Mark one notification read; then open what it links to (or go back to the list)."""
    link = notifications.mark_read(signed_in_user_id(), notification_id)
    target = safe_next_path(link or "") if request.form.get("open") else None
    return redirect(target or url_for("notifications.index", offset=request.form.get("offset") or None))


@bp.post("/read-all")
@login_required
def mark_all_read():
    """Mark every notification read."""
    changed = notifications.mark_all_read(signed_in_user_id())
    flash(f"Marked {changed} notification(s) read." if changed else "Nothing was unread.", "success")
    return redirect(url_for("notifications.index"))


def _preferences_page(user_id: int, error=None):
    body = render_template(
        "notifications/preferences.html",
        prefs=notifications.preferences(user_id),
        kinds=notifications.KINDS,
        error=error,
    )
    return body, error.status_code if error else 200


@bp.get("/preferences")
@login_required
def preferences():
    """Which kinds also come by email, and whether Globus' own task emails stay on."""
    return _preferences_page(signed_in_user_id())


@bp.post("/preferences")
@login_required
def save_preferences():
    """Save the preferences; a refused choice shows the form again with the reason."""
    user_id = signed_in_user_id()
    with refusable() as refusal:
        notifications.save_preferences(
            user_id,
            email_kinds=request.form.getlist("email_kinds"),
            globus_emails=request.form.get("globus_emails") == "on",
        )
        flash("Notification preferences saved.", "success")
        return redirect(url_for("notifications.preferences"))
    return _preferences_page(user_id, refusal.error)
