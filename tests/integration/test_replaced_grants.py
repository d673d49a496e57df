"""Earlier logins' grants do not outlive logout (issue #7 item 1), and "log out everywhere" ends every session."""

from __future__ import annotations

import globus_sdk

from app.services import token_records
from tests.portal_fixtures import csrf_from
from tests.users import logged_in
from tests.worker_fixtures import run_queued_jobs


def _auth_client(live_portal) -> globus_sdk.ConfidentialAppAuthClient:
    portal = live_portal.emulator.client("portal")
    return globus_sdk.ConfidentialAppAuthClient(
        portal["client_id"], portal["client_secret"], base_url=live_portal.emulator.services["auth"]
    )


def _refresh_tokens(live_portal, username: str) -> list[str]:
    with live_portal.context():
        records = token_records.read_tokens(live_portal.user_id(username))
    return [record.refresh_token for record in records.values() if record.refresh_token]


def _still_refreshes(live_portal, refresh_token: str) -> bool:
    try:
        _auth_client(live_portal).oauth2_refresh_token(refresh_token)
    except globus_sdk.AuthAPIError as exc:
        assert exc.http_status == 400 and exc.code == "invalid_grant", exc
        return False
    return True


def test_a_second_login_revokes_the_grants_it_replaces_and_logout_leaves_none(live_portal):
    first_browser = logged_in(live_portal, "carol")
    first = _refresh_tokens(live_portal, "carol")
    second_browser = logged_in(live_portal, "carol")  # a second browser, the same user
    second = _refresh_tokens(live_portal, "carol")
    # Each login queued the revocation of what it replaced; a consumer runs them after the callback.
    run = run_queued_jobs(live_portal.app)
    assert run.count("revoke_pending_tokens") >= 1 and not run.errors
    assert first and second and not set(first) & set(second)
    assert not any(_still_refreshes(live_portal, token) for token in first)
    # The first browser keeps working: it uses the user's current tokens.
    assert "Log in with Globus" not in first_browser.get(live_portal.url("/"), timeout=30).text

    page = second_browser.get(live_portal.url("/"), timeout=30)
    logout = second_browser.post(
        live_portal.url("/logout"), data={"csrf_token": csrf_from(page.text)}, allow_redirects=False, timeout=30
    )
    assert logout.status_code == 302
    assert not any(_still_refreshes(live_portal, token) for token in first + second)


def test_log_out_everywhere_ends_every_session_of_the_user_only(live_portal):
    laptop = logged_in(live_portal, "dave")
    phone = logged_in(live_portal, "dave")
    other_user = logged_in(live_portal, "bob")
    page = laptop.get(live_portal.url("/"), timeout=30)
    assert "Log out of all my sessions" in page.text
    response = laptop.post(
        live_portal.url("/logout"),
        data={"csrf_token": csrf_from(page.text), "everywhere": "1"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    for browser in (laptop, phone):
        assert "Log in with Globus" in browser.get(live_portal.url("/"), timeout=30).text
    assert "Log in with Globus" not in other_user.get(live_portal.url("/"), timeout=30).text
