"""The real flow end to end: a partner portal logs a user in through the emulator with the
gateway's API scope, starts a transfer through the gateway's API as that user, and the task shows
on the user's task page in the gateway (and is tracked there like a page-submitted one)."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models.tracked_task import TrackedTask
from tests.api.conftest import api_scope
from tests.api.partner_portal import partner_app
from tests.emulator.helpers import run_browser
from tests.emulator.transfer_clients import collection_id
from tests.users import logged_in
from tests.waiting import wait_until

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")


@pytest.fixture(scope="module")
def partner(emulator, api_portal):
    partner_client = emulator.client("partner")
    app = partner_app(
        auth_url=emulator.services["auth"],
        client_id=partner_client["client_id"],
        client_secret=partner_client["client_secret"],
        api_scope=api_scope(emulator),
        gateway_api=api_portal.url("/api/v1"),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    added = emulator.control_post("redirect-uris", {"uri": f"{base}/callback", "client": "partner"})
    assert added.status_code == 200, added.text
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(timeout=10)


def test_partner_portal_transfer_appears_on_the_gateway_task_page(emulator, api_portal, partner):
    browser = requests.Session()
    start = browser.get(f"{partner}/login", allow_redirects=False, timeout=30)
    assert start.status_code == 302
    at_emulator = run_browser(emulator, start.headers["Location"], "carol", browser=browser)
    assert at_emulator.redirect_url.startswith(f"{partner}/callback")
    assert browser.get(at_emulator.redirect_url, timeout=30).json() == {"logged_in": True}

    folder = f"partner-{uuid.uuid4().hex[:8]}"
    submitted = browser.post(
        f"{partner}/transfer",
        json={
            "source": CRYOEM_SHARED,
            "destination": LAB_ARCHIVE,
            "items": [{"source": "/~/run 01/", "destination": f"/~/{folder}/", "recursive": True}],
            "label": "from the partner portal",
            "sync_level": "size",
        },
        timeout=60,
    )
    assert submitted.status_code == 202, submitted.text
    task_id = submitted.json()["task_id"]
    assert submitted.json()["reused"] is False

    # Carol, logged into the gateway in her own browser, sees the task on her task page.
    gateway = logged_in(api_portal, "carol")
    page = gateway.get(api_portal.url("/tasks"), timeout=30)
    assert page.status_code == 200
    assert task_id in page.text
    assert "from the partner portal" in page.text
    with api_portal.context():
        tracked = db.session.scalar(select(TrackedTask).where(TrackedTask.task_id == task_id))
        assert tracked is not None and tracked.label == "from the partner portal"

    def finished():
        status = gateway.get(api_portal.url(f"/tasks/{task_id}/progress"), timeout=30).json()
        return status if status["is_done"] else None

    assert wait_until(finished, 120, "partner transfer still running")["status"] == "SUCCEEDED"
