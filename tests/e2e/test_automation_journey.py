"""The automation journey in a real headless chromium (zone America/New_York): create a daily sync two
minutes ahead in the user's zone, see the preview the page's script fetched, run it now, watch the
run appear in the history with its task, see the in-app notification of its transfer, and find the
same notification as an email in the local SMTP server (every kind is emailed by default)."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.automation_fixtures import drive_run, seeded_collection
from tests.e2e.test_researcher_journey import CHROMIUM, CHROMIUM_ARGS, STEP_TIMEOUT_MS, _log_in

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
ZONE = "America/New_York"
# Set AUTOMATION_SCREENSHOTS=/some/folder to keep pictures of the pages at 1280 and 390 px.
SHOTS = os.environ.get("AUTOMATION_SCREENSHOTS")


@pytest.fixture
def new_york_page():
    """A chromium page whose browser reports the America/New_York time zone."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        yield page, errors
        context.close()
        browser.close()


def _shoot(page, name):
    if not SHOTS:
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_create_a_daily_sync_preview_it_run_it_now_and_see_the_run(worker_portal, mailbox, new_york_page, alice_id):
    live_portal = worker_portal
    page, console_errors = new_york_page
    expect = playwright_api.expect
    name = f"Nightly notebooks {uuid.uuid4().hex[:6]}"
    soon = (datetime.now(UTC) + timedelta(minutes=2)).astimezone(ZoneInfo(ZONE))
    at = soon.strftime("%H:%M")

    _log_in(page, live_portal, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Automations").click()
    page.get_by_role("link", name="New automation").click()
    expect(page.get_by_label("Time zone")).to_have_value(ZONE)  # defaulted from the browser

    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Source collection id").fill(seeded_collection("cryoem-shared"))
    page.get_by_label("Source folder", exact=True).fill("/~/notebooks/")
    page.get_by_label("Destination collection id").fill(seeded_collection("lab-archive"))
    page.get_by_label("Destination folder", exact=True).fill(f"/~/e2e-auto-{uuid.uuid4().hex[:6]}/")
    page.get_by_label("Repeat", exact=True).select_option("daily")
    page.get_by_label("At (HH:MM)").fill(at)
    # The page's script asked GET /automations/preview: today's run first, two minutes from now.
    first = page.locator("[data-preview-runs] li").first
    expect(first).to_contain_text(soon.strftime("%Y-%m-%d ") + at)
    expect(page.locator("[data-preview-runs] li")).to_have_count(5)
    expect(page.locator("[data-preview-description]")).to_contain_text(f"Daily at {at} ({ZONE})")
    _shoot(page, "automation-form")

    page.get_by_role("button", name="Save automation").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("heading", name="Next runs")).to_be_visible()
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("Run started")).to_be_visible()
    automation_id = int(re.search(r"/automations/(\d+)", page.url).group(1))

    # This test is the worker: it runs the queued jobs and lets the task watcher see the end.
    from sqlalchemy import select

    from app.extensions import db
    from app.models.automation import AutomationRun

    with live_portal.context():
        run_id = db.session.scalar(select(AutomationRun.id).where(AutomationRun.automation_id == automation_id))
        db.session.remove()
    status, steps = drive_run(live_portal, alice_id, run_id)
    assert status == "succeeded", steps

    page.reload()
    history = page.locator("#history")
    expect(history.get_by_text("Succeeded").first).to_be_visible()
    task_link = history.get_by_role("link", name=steps[0][2][:8])
    expect(task_link).to_be_visible()
    expect(page.locator(".bell .badge")).to_be_visible()  # the transfer's in-app notification
    _shoot(page, "automation-detail")
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator(".notification").first).to_be_visible()
    page.goto(live_portal.url("/automations/"))
    expect(page.get_by_role("link", name=name)).to_be_visible()
    _shoot(page, "automation-list")
    with live_portal.context():
        from app.models.identity import User

        address = db.session.scalar(select(User.email).where(User.id == alice_id))
        db.session.remove()
    task_url = live_portal.url(f"/tasks/{steps[0][2]}")
    emails = [m for m in mailbox.messages_to(address) if task_url in m.get_content()]
    assert len(emails) == 1, "one email for the run's transfer, linking to its task page"
    assert "succeeded" in emails[0]["Subject"].lower()
    task_page = page.goto(task_url)
    assert task_page is not None and task_page.ok
    assert not [e for e in console_errors if "favicon" not in e], console_errors
