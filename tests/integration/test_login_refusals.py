"""Callbacks that must not log anyone in: bad state, declined consent, replays, foreign redirects."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.unit.test_redirects import OPEN_REDIRECT_PAYLOADS


def _callback_params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _is_logged_in(live_portal, browser: requests.Session) -> bool:
    return "Log out" in browser.get(live_portal.url("/"), timeout=30).text


def test_callback_without_state_is_refused(live_portal):
    browser = requests.Session()
    callback = live_portal.authorize(browser, live_portal.start_login(browser), "bob")
    params = _callback_params(callback)
    response = browser.get(live_portal.url("/auth/callback"), params={"code": params["code"]}, timeout=30)
    assert response.status_code == 400 and "Login not completed" in response.text
    assert not _is_logged_in(live_portal, browser)
    # The refusal made no token call: the code is still good for the real callback.
    assert browser.get(callback, allow_redirects=False, timeout=30).status_code == 302
    assert _is_logged_in(live_portal, browser)


def test_callback_from_another_browser_session_is_refused_without_spending_the_code(live_portal):
    victim = requests.Session()
    callback = live_portal.authorize(victim, live_portal.start_login(victim), "bob")
    attacker = requests.Session()
    attacker.get(live_portal.url("/"), timeout=30)
    refused = attacker.get(callback, allow_redirects=False, timeout=30)
    assert refused.status_code == 400 and "does not belong to a login started in this browser" in refused.text
    assert not _is_logged_in(live_portal, attacker)
    # The victim's own callback still works, so the refused one never exchanged the code.
    assert victim.get(callback, allow_redirects=False, timeout=30).headers["Location"] == "/"


def test_a_replayed_callback_is_refused(live_portal):
    browser = requests.Session()
    callback = live_portal.authorize(browser, live_portal.start_login(browser), "bob")
    assert browser.get(callback, allow_redirects=False, timeout=30).status_code == 302
    replay = browser.get(callback, allow_redirects=False, timeout=30)
    assert replay.status_code == 400 and "already used" in replay.text


def test_a_made_up_state_is_refused(live_portal):
    browser = requests.Session()
    live_portal.start_login(browser)
    response = browser.get(live_portal.url("/auth/callback"), params={"code": "x" * 40, "state": "guess"}, timeout=30)
    assert response.status_code == 400 and not _is_logged_in(live_portal, browser)


def test_declining_consent_shows_a_friendly_page(live_portal):
    browser = requests.Session()
    # Other tests may already have consented as dave in this emulator: prompt=consent makes the
    # emulator ask again, so the user really is shown the page and declines it.
    authorize_url = live_portal.start_login(browser) + "&prompt=consent"
    callback = live_portal.authorize(browser, authorize_url, "dave", consent="deny")
    assert _callback_params(callback)["error"] == "access_denied"
    response = browser.get(callback, allow_redirects=False, timeout=30)
    assert response.status_code == 403 and "Login cancelled" in response.text and "Try again" in response.text
    assert not _is_logged_in(live_portal, browser)


def test_a_refused_code_exchange_is_a_friendly_page(live_portal):
    browser = requests.Session()
    callback = live_portal.authorize(browser, live_portal.start_login(browser), "bob")
    params = _callback_params(callback)
    tampered = live_portal.url("/auth/callback") + "?" + urlencode({"state": params["state"], "code": "forged-code"})
    response = browser.get(tampered, allow_redirects=False, timeout=30)
    assert response.status_code == 400 and "did not accept this login" in response.text


@pytest.mark.parametrize("payload", [p for p in OPEN_REDIRECT_PAYLOADS if p])
def test_open_redirect_payloads_land_on_the_dashboard(live_portal, bob_browser, payload):
    response = bob_browser.get(live_portal.url("/login"), params={"next": payload}, allow_redirects=False, timeout=30)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_survives_the_whole_login_when_same_site(live_portal):
    _, response = live_portal.login("bob", next_path="/logged-out?from=test")
    assert response.headers["Location"] == "/logged-out?from=test"


def test_a_hostile_next_is_dropped_through_the_whole_login(live_portal):
    _, response = live_portal.login("bob", next_path="//evil.example/%2F..")
    assert response.headers["Location"] == "/"
