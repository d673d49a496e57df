"""What a session carries across login: a form stashed for one account is never offered to another."""
from __future__ import annotations

import time

import requests
from sqlalchemy import select

from app.extensions import db
from app.models.server_session import ServerSession
from app.services import consent


def _plant_stash(live_portal, browser: requests.Session, owner: int | None) -> None:
    """Write a stashed form into this browser's stored session, as a planted session would hold."""
    sid = browser.cookies.get("gateway_session")
    interface = live_portal.app.session_interface
    with live_portal.context():
        row = db.session.scalar(select(ServerSession).where(ServerSession.session_id == f"session:{sid}"))
        data = dict(interface.serializer.decode(row.data))
        data[consent.STASH_KEY] = {"action": "/transfers/batch", "fields": [["destination", "attacker-collection"]],
                                   "at": int(time.time()), "user": owner}
        row.data = interface.serializer.encode(data)
        db.session.commit()


def test_a_form_stashed_for_someone_else_is_dropped_at_login(live_portal):
    browser = requests.Session()
    authorize_url = live_portal.start_login(browser)
    _plant_stash(live_portal, browser, owner=987654321)
    callback = browser.get(live_portal.authorize(browser, authorize_url, "alice"), allow_redirects=False, timeout=30)
    assert callback.status_code == 302 and callback.headers["Location"] == "/"
    resume = browser.get(live_portal.url("/auth/resume"), timeout=30)
    assert resume.status_code == 200 and "attacker-collection" not in resume.text


def test_a_stash_without_an_owner_is_dropped_at_login(live_portal):
    browser = requests.Session()
    authorize_url = live_portal.start_login(browser)
    _plant_stash(live_portal, browser, owner=None)
    callback = browser.get(live_portal.authorize(browser, authorize_url, "alice"), allow_redirects=False, timeout=30)
    assert callback.headers["Location"] == "/"
    assert "attacker-collection" not in browser.get(live_portal.url("/auth/resume"), timeout=30).text
