"""Token health: a dead login pauses the user's automations with the reason; every page then says
'Sign in again to resume N automations'; once signed in again, one button resumes them."""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.models.automation import Automation
from app.services import token_health
from app.unit_of_work import unit_of_work
from tests.automation_fixtures import make_automation
from tests.portal_fixtures import csrf_from
from tests.users import logged_in, portal_user


def _status(app, automation_id):
    with app.app_context():
        row = db.session.get(Automation, automation_id)
        values = (row.status, row.paused_reason, row.paused_for_tokens) if row else None
        db.session.remove()
    return values


def test_dead_tokens_pause_then_the_banner_resumes_after_signing_in(portal_app):
    import app.services.automation_chain  # noqa: F401 - registers the tokens-dead listener

    user = portal_user(portal_app, "alice")
    active = make_automation(portal_app, user, due=datetime(2030, 1, 1))
    paused_by_user = make_automation(portal_app, user, due=None, status="paused", paused_reason="Paused by you")
    with portal_app.app_context(), unit_of_work():
        assert token_health.mark_tokens_dead(user, "refresh token revoked")
    status, reason, for_tokens = _status(portal_app, active)
    assert status == "paused" and "refresh token revoked" in reason and for_tokens
    assert _status(portal_app, paused_by_user)[2] is False  # the user's own pause stays theirs

    browser = logged_in(portal_app, "alice")
    page = browser.get("/automations/").get_data(as_text=True)
    assert "Sign in again to resume 1 automation." in page
    other_page = browser.get("/").get_data(as_text=True)
    assert "Sign in again to resume 1 automation." in other_page  # every page, not only the list

    with portal_app.app_context(), unit_of_work():
        token_health.clear_tokens_dead(user)  # what the next login does
    page = browser.get("/automations/").get_data(as_text=True)
    assert "Resume 1 automation" in page and "Sign in again" not in page
    response = browser.post("/automations/resume-paused", data={"csrf_token": csrf_from(page), "back": "/automations/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/automations/")
    assert _status(portal_app, active) == ("active", None, False)
    assert _status(portal_app, paused_by_user)[0] == "paused"
    assert "Resume 1 automation" not in browser.get("/automations/").get_data(as_text=True)
