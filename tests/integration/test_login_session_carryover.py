"""What a session carries across login: a form stashed for one account is never offered to another."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests

from app.services import consent
from tests.session_store import plant_session


def _plant_stash(live_portal, browser: requests.Session, owner: int | None) -> None:
    """Give this browser a stored session holding a stashed form, as a planted session would."""
    stash = {
        "action": "/transfers/batch",
        "fields": [["destination", "attacker-collection"]],
        "at": int(time.time()),
        "user": owner,
    }
    browser.cookies.set(
        "gateway_session",
        plant_session(live_portal.app, {consent.STASH_KEY: stash}),
        domain=urlsplit(live_portal.base_url).hostname,
    )


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
