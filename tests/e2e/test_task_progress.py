"""The task page as a researcher watches it in headless chromium (issue #9 items 1, 2 and 8):
a throttled transfer whose shown percentage never runs ahead of the bytes moved, live events, and
a cancel that asks first and is then shown as the user's own doing."""

from __future__ import annotations

import re
import uuid

import pytest

# browser_page: the journey's headless chromium page and its console errors (one definition).
from tests.e2e.test_researcher_journey import TASK_TIMEOUT_MS, _log_in, browser_page  # noqa: F401
from tests.emulator.transfer_clients import collection_id

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")
SIX_MB_FILE = "'raw data/stack 03.mrcs'"
SIX_MIB = 6 * 1024 * 1024  # its size in the seed; shown as 6.3 MB (decimal units, as Globus shows them)


@pytest.fixture
def throttled(live_portal):
    """About 10 s for the 6 MB file, so the page is watched while the task runs."""
    emulator = live_portal.emulator
    before = emulator.control_get("settings").json()
    emulator.control_post("settings", {"throughput": 600_000})
    yield
    emulator.control_post("settings", {"throughput": before.get("throughput", 0)})


def _start_batch(page, live_portal, lines: str, label: str) -> str:
    """Submit the batch form's fields as the logged-in browser (its cookies, its CSRF token)."""
    page.goto(live_portal.url("/transfers/batch"))
    form = page.locator('form[action="/transfers/batch"]')
    fields = {
        "csrf_token": form.locator('input[name="csrf_token"]').input_value(),
        "form_token": form.locator('input[name="form_token"]').input_value(),
        "source": CRYOEM_SHARED,
        "destination": LAB_ARCHIVE,
        "source_path": "/~/",
        "destination_path": f"/~/progress-{uuid.uuid4().hex[:8]}/",
        "label": label,
        "batch": lines,
        "sync_level": "exists",
    }
    response = page.request.post(live_portal.url("/transfers/batch"), form=fields, max_redirects=0)
    location = response.headers.get("location", "")
    match = re.search(r"/tasks/([0-9a-f-]{36})", location)
    assert response.status == 302 and match, (response.status, location)
    return match.group(1)


def _bytes_moved(page, task_id: str) -> tuple[int, int]:
    doc = page.evaluate(
        "url => fetch(url, {headers: {Accept: 'application/json'}}).then(r => r.json())",
        f"/tasks/{task_id}/progress",
    )
    return doc["bytes_transferred"], doc["expected_bytes"]


def test_the_shown_percentage_never_runs_ahead_of_the_bytes_moved(live_portal, browser_page, throttled):  # noqa: F811
    page, errors = browser_page
    expect = playwright_api.expect
    _log_in(page, live_portal, "bob")
    task_id = _start_batch(page, live_portal, f"{SIX_MB_FILE} stack.mrcs\n", f"watched {uuid.uuid4().hex[:6]}")
    page.goto(live_portal.url(f"/tasks/{task_id}"))
    bar = page.locator("progress#task-progress-bar")
    status = page.locator('[data-field="status_label"]')
    readings = []
    while status.inner_text() != "Succeeded":
        if bar.is_visible():
            shown = int(bar.get_attribute("value") or 0)
            moved, expected = _bytes_moved(page, task_id)  # read after the bar: bytes only grow
            readings.append(shown)
            assert expected == SIX_MIB, "measured before submitting"
            assert shown <= 100 * moved // expected, (shown, moved, expected)
            expect(page.locator('[data-field="percent_text"]')).to_contain_text("of the data")
        # Look again when the page has redrawn (a new value or the end), not after a fixed pause.
        page.wait_for_function(
            """last => {
                const bar = document.querySelector("progress#task-progress-bar");
                const status = document.querySelector('[data-field="status_label"]').textContent;
                return status === "Succeeded" || String(bar.value) !== last;
            }""",
            arg=bar.get_attribute("value") or "",
            timeout=TASK_TIMEOUT_MS,
        )
    assert readings and max(readings) < 100, "while it ran the bar never claimed more than was moved"
    expect(page.locator('[data-field="outcome_text"]')).to_have_text("Everything was transferred.")
    expect(bar).to_be_hidden()
    expect(page.locator("[data-live-summary]")).to_contain_text("1 of 1 file · 6.3 MB of 6.3 MB moved")
    # The events table filled itself without a reload.
    expect(page.locator("[data-events-body] tr").first).to_be_visible(timeout=TASK_TIMEOUT_MS)
    assert not errors, errors


def test_cancel_asks_first_and_is_shown_as_the_users_choice(live_portal, browser_page, throttled):  # noqa: F811
    page, errors = browser_page
    expect = playwright_api.expect
    _log_in(page, live_portal, "bob")
    label = f"to cancel {uuid.uuid4().hex[:6]}"
    task_id = _start_batch(page, live_portal, f"{SIX_MB_FILE} stack.mrcs\n", label)
    page.goto(live_portal.url(f"/tasks/{task_id}"))
    page.get_by_role("link", name="Cancel this task…").click()
    expect(page.get_by_role("heading", name=f"Cancel “{label}”?")).to_be_visible()
    page.get_by_role("link", name="No, keep it running").click()
    expect(page.locator('[data-field="status_label"]')).not_to_have_text("Cancelled")
    page.get_by_role("link", name="Cancel this task…").click()
    page.get_by_role("button", name=f"Yes, cancel “{label}”").click()
    status = page.locator('[data-field="status_label"]')
    expect(status).to_have_text("Cancelled", timeout=TASK_TIMEOUT_MS)
    expect(status).to_have_class(re.compile("status--CANCELLED"))
    expect(page.locator('[data-field="outcome_text"]')).to_have_text("Cancelled at your request.")
    expect(page.locator("progress#task-progress-bar")).to_be_hidden()
    expect(page.get_by_role("link", name="Cancel this task…")).to_be_hidden()
    expect(page.get_by_role("button", name="Resubmit with the same options")).to_be_visible()
    cancel_event = page.locator("[data-events-body] tr", has_text="canceled")
    expect(cancel_event).to_be_visible()
    expect(cancel_event.locator(".badge")).to_have_count(0)
    assert not errors, errors
