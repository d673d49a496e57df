"""Task pages over real HTTP: filtered and paged list, live progress JSON, events, per-file results,
cancel and resubmit with the same options."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.emulator.transfer_clients import collection_id
from tests.integration.researcher_support import form_fields, task_id_from, wait_for_task
from tests.users import logged_in

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")


@pytest.fixture
def slow_transfers(live_portal):
    """Throttle the emulator so a task stays ACTIVE long enough to be cancelled."""
    emulator = live_portal.emulator
    before = emulator.control_get("settings").json()
    assert emulator.control_post("settings", {"throughput": 20_000}).status_code == 200
    yield
    emulator.control_post("settings", {"throughput": before.get("throughput", 0)})


def _batch(portal, browser, lines, *, label, **options):
    form = browser.get(portal.url("/transfers/batch"), timeout=30)
    fields = dict(form_fields(form.text, "/transfers/batch"))
    fields.update(
        source=CRYOEM_SHARED,
        destination=LAB_ARCHIVE,
        source_path="/~/",
        destination_path=f"/~/task-tests-{uuid.uuid4().hex[:8]}/",
        label=label,
        batch=lines,
        **options,
    )
    return task_id_from(browser.post(portal.url("/transfers/batch"), data=fields, allow_redirects=False, timeout=30))


def test_task_page_progress_events_and_files(live_portal, bob_browser):
    label = f"files {uuid.uuid4().hex[:6]}"
    task_id = _batch(
        live_portal,
        bob_browser,
        "'run 01/img_0001.tif' a.tif\n'run 01/missing.tif' m.tif\n",
        label=label,
        skip_source_errors="on",
        sync_level="exists",
    )
    page = bob_browser.get(live_portal.url(f"/tasks/{task_id}"), timeout=30)
    assert page.status_code == 200
    assert 'data-progress-url="/tasks/' in page.text and "<progress" in page.text and 'aria-live="polite"' in page.text
    assert "<script" not in page.text.replace('<script src="/static/js/', "")  # only our own files, no inline code
    done = wait_for_task(live_portal, bob_browser, task_id)
    assert done["status"] == "SUCCEEDED" and done["percent"] == 100 and done["is_done"]
    assert done["files_transferred"] == 1 and done["skipped_errors"] == 1
    finished = bob_browser.get(live_portal.url(f"/tasks/{task_id}"), timeout=30).text
    assert "Succeeded" in finished and "Events" in finished
    successful = bob_browser.get(live_portal.url(f"/tasks/{task_id}/successful"), timeout=30).text
    assert "/~/run 01/img_0001.tif" in successful and f"/browse/{LAB_ARCHIVE}?path=" in successful
    skipped = bob_browser.get(live_portal.url(f"/tasks/{task_id}/skipped"), timeout=30).text
    assert "missing.tif" in skipped


def test_a_measured_selection_reports_bytes_and_the_live_page_gets_its_events(live_portal, bob_browser):
    # Issue #9 items 1-2: a few files are measured before submitting, so the percentage is of
    # bytes; the progress poll with events=1 carries the newest events for the live table.
    task_id = _batch(live_portal, bob_browser, "'run 01/img_0001.tif' one.tif\nREADME.txt r.txt\n", label="measured")
    done = wait_for_task(live_portal, bob_browser, task_id)
    assert done["status"] == "SUCCEEDED" and done["outcome_text"] == "Everything was transferred."
    assert done["expected_bytes"] == done["bytes_transferred"] > 0 and done["progress_basis"] == "bytes"
    live = bob_browser.get(live_portal.url(f"/tasks/{task_id}/progress"), params={"events": "1"}, timeout=30).json()
    assert live["events_total"] >= 1 and live["events"], "the finished task's events come with the last poll"
    assert {"time", "time_text", "text", "details", "is_error"} <= set(live["events"][0])
    page = bob_browser.get(live_portal.url(f"/tasks/{task_id}"), timeout=30).text
    assert "Reload</a> for the complete event list" not in page and 'data-live-events="true"' in page


def test_task_list_filters_and_pages(live_portal, bob_browser):
    prefix = f"paging-{uuid.uuid4().hex[:6]}"
    ids = [_batch(live_portal, bob_browser, "README.txt r.txt\n", label=f"{prefix} {n:02d}") for n in range(27)]
    first = bob_browser.get(live_portal.url("/tasks/"), params={"label": prefix}, timeout=30).text
    assert "of 27 tasks" in first and 'rel="next"' in first
    assert f"/tasks/{ids[-1]}" in first, "newest first"
    second = bob_browser.get(live_portal.url("/tasks/"), params={"label": prefix, "offset": 25}, timeout=30).text
    assert f"/tasks/{ids[0]}" in second and 'rel="next"' not in second
    today = date.today()
    in_range = bob_browser.get(
        live_portal.url("/tasks/"),
        params={
            "label": prefix,
            "type": "TRANSFER",
            "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
        },
        timeout=30,
    ).text
    assert "of 27 tasks" in in_range
    deletions = bob_browser.get(live_portal.url("/tasks/"), params={"label": prefix, "type": "DELETE"}, timeout=30).text
    assert "No tasks match these filters" in deletions
    refused = bob_browser.get(live_portal.url("/tasks/"), params={"from": "yesterday"}, timeout=30)
    assert refused.status_code == 400 and "Dates look like" in refused.text


def test_cancel_then_resubmit_with_the_same_options(live_portal, bob_browser, slow_transfers):
    label = f"cancel {uuid.uuid4().hex[:6]}"
    task_id = _batch(
        live_portal,
        bob_browser,
        "'raw data/stack 03.mrcs' stack.mrcs\n",
        label=label,
        sync_level="checksum",
        preserve_timestamp="on",
        exclude_rules="*.tmp",
    )
    page = bob_browser.get(live_portal.url(f"/tasks/{task_id}"), timeout=30).text
    # Cancel asks first (issue #9 item 8): the task page links to a confirmation naming the task.
    assert f'href="/tasks/{task_id}/cancel"' in page and f'action="/tasks/{task_id}/cancel"' not in page
    confirm = bob_browser.get(live_portal.url(f"/tasks/{task_id}/cancel"), timeout=30)
    assert confirm.status_code == 200 and f"Cancel “{label}”?" in confirm.text
    assert "Files already copied stay where they are" in confirm.text
    cancel = dict(form_fields(confirm.text, f"/tasks/{task_id}/cancel"))
    cancelled = bob_browser.post(live_portal.url(f"/tasks/{task_id}/cancel"), data=cancel, timeout=30)
    assert cancelled.status_code == 200
    final = wait_for_task(live_portal, bob_browser, task_id)
    assert final["status"] == "FAILED" and final["status_label"] == "Cancelled" and final["can_resubmit"]
    # Shown as what the user asked for, not as a failure, and with no full bar.
    assert final["status_class"] == "CANCELLED" and final["outcome_text"] == "Cancelled at your request."
    assert not final["shows_bar"] and final["percent"] < 100
    again = bob_browser.get(live_portal.url(f"/tasks/{task_id}/cancel"), timeout=30).text
    assert "has already finished" in again and f'action="/tasks/{task_id}/cancel"' not in again

    page = bob_browser.get(live_portal.url(f"/tasks/{task_id}"), timeout=30).text
    resubmit = form_fields(page, f"/tasks/{task_id}/resubmit")
    first = task_id_from(
        bob_browser.post(
            live_portal.url(f"/tasks/{task_id}/resubmit"), data=resubmit, allow_redirects=False, timeout=30
        )
    )
    again = task_id_from(
        bob_browser.post(
            live_portal.url(f"/tasks/{task_id}/resubmit"), data=resubmit, allow_redirects=False, timeout=30
        )
    )
    assert first == again != task_id, "one new task per press of Resubmit"
    new_page = bob_browser.get(live_portal.url(f"/tasks/{first}"), timeout=30).text
    assert label in new_page and "checksum" in new_page and "*.tmp" in new_page
    confirm = bob_browser.get(live_portal.url(f"/tasks/{first}/cancel"), timeout=30).text
    cancel = dict(form_fields(confirm, f"/tasks/{first}/cancel"))
    bob_browser.post(live_portal.url(f"/tasks/{first}/cancel"), data=cancel, timeout=30)


def test_tasks_of_other_users_are_not_shown(live_portal, bob_browser):
    task_id = _batch(live_portal, bob_browser, "README.txt private.txt\n", label="private")
    dave = logged_in(live_portal, "dave")
    page = dave.get(live_portal.url(f"/tasks/{task_id}"), timeout=30)
    assert page.status_code == 404  # someone else's task is not found, not even forbidden
    assert "private.txt" not in page.text
    assert (
        dave.post(live_portal.url(f"/tasks/{task_id}/cancel"), data={"csrf_token": "x"}, timeout=30).status_code == 400
    )


def test_a_bad_task_id_is_refused(live_portal, bob_browser):
    page = bob_browser.get(live_portal.url("/tasks/not-a-task"), timeout=30)
    assert page.status_code == 400 and "That is not a task id" in page.text
