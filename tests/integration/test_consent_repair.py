"""Consent repair: a page needing data_access consent sends the user through login and back."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

from app.services import token_records
from tests.portal_fixtures import csrf_from
from tests.users import log_in_again, logged_in

DATA_ACCESS = "https://auth.globus.org/scopes/{}/data_access"


def _campus(live_portal) -> str:
    return live_portal.emulator.collection("campus-cluster")["id"]


def test_a_page_needing_consent_returns_to_the_page_after_login(live_portal):
    browser = logged_in(live_portal, "alice")
    page = f"/_probe/ls/{_campus(live_portal)}?json=1"
    first = browser.get(live_portal.url(page), allow_redirects=False, timeout=30)
    assert parse_qs(urlsplit(first.headers["Location"]).query)["next"] == [page]

    back = log_in_again(live_portal, browser, first, "alice", requested_scope=DATA_ACCESS.format(_campus(live_portal)))
    assert back.status_code == 302 and back.headers["Location"] == page
    listing = browser.get(live_portal.url(page), timeout=30)
    assert listing.status_code == 200 and {"home", "projects", "scratch"} <= set(listing.json())

    with live_portal.context():
        record = token_records.read_token(live_portal.user_id("alice"), "transfer.api.globus.org")
    assert DATA_ACCESS.format(_campus(live_portal)) in record.requested_scopes


def test_a_form_interrupted_by_consent_is_offered_back_and_nothing_is_lost(live_portal):
    browser = logged_in(live_portal, "bob")
    campus = _campus(live_portal)
    new_dir = f"/scratch/bob/consent-{uuid.uuid4().hex[:8]}"
    dashboard = browser.get(live_portal.url("/"), timeout=30)
    submit = browser.post(
        live_portal.url(f"/_probe/mkdir/{campus}"),
        data={"csrf_token": csrf_from(dashboard.text), "path": new_dir},
        allow_redirects=False,
        timeout=30,
    )
    assert parse_qs(urlsplit(submit.headers["Location"]).query)["next"] == ["/auth/resume"]

    back = log_in_again(live_portal, browser, submit, "bob", requested_scope=DATA_ACCESS.format(campus))
    assert back.headers["Location"] == "/auth/resume"
    resume = browser.get(live_portal.url("/auth/resume"), timeout=30)
    assert resume.status_code == 200 and new_dir in resume.text
    assert f'action="/_probe/mkdir/{campus}"' in resume.text

    confirmed = browser.post(
        live_portal.url(f"/_probe/mkdir/{campus}"),
        data={"csrf_token": csrf_from(resume.text), "path": new_dir},
        timeout=30,
    )
    assert confirmed.status_code == 200 and confirmed.text == f"created {new_dir}"
    # The stashed form is shown once only.
    assert "Nothing to continue" in browser.get(live_portal.url("/auth/resume"), timeout=30).text
