"""Automations over real HTTP against the emulator: the form and its preview, Run now → a run with
its task in the history, a chain (sync → backup → search records) with each step's status, a failed
step that notifies and is retried from that step, pause/resume/delete."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.automation import AutomationRun
from tests.automation_fixtures import automation_form, drive_run
from tests.automation_fixtures import seeded_collection as collection_id
from tests.portal_fixtures import csrf_from

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")


def _create(portal, browser, **overrides):
    page = browser.get(portal.url("/automations/new"), timeout=30)
    assert page.status_code == 200
    fields = automation_form(**overrides)
    fields["csrf_token"] = csrf_from(page.text)
    response = browser.post(portal.url("/automations/new"), data=fields, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:1500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1]), fields


def _post(portal, browser, path):
    page = browser.get(
        portal.url(path.rsplit("/", 1)[0] if path.endswith(("/run", "/pause", "/resume")) else "/automations/"),
        timeout=30,
    )
    response = browser.post(
        portal.url(path), data={"csrf_token": csrf_from(page.text)}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 302, response.text[:1500]
    return response


def _latest_run(portal, automation_id):
    with portal.context():
        run_id = db.session.scalar(
            select(AutomationRun.id)
            .where(AutomationRun.automation_id == automation_id)
            .order_by(AutomationRun.id.desc())
        )
        db.session.remove()
    return run_id


def test_the_form_previews_the_next_five_runs_and_refuses_bad_input(live_portal, alice_browser):
    page = alice_browser.get(live_portal.url("/automations/new"), timeout=30)
    assert 'src="/static/js/automation-form.js"' in page.text and "<script>" not in page.text
    fields = automation_form(preview="1", at="02:30", timezone="America/New_York")
    fields["csrf_token"] = csrf_from(page.text)
    shown = alice_browser.post(live_portal.url("/automations/new"), data=fields, timeout=30)
    assert shown.status_code == 200 and "Next five runs" in shown.text
    assert len(re.findall(r"<li><time datetime=", shown.text)) == 5
    assert "Daily at 02:30 (America/New_York)" in shown.text
    as_json = alice_browser.get(
        live_portal.url("/automations/preview"),
        params={"preset": "weekly", "at": "06:00", "timezone": "Europe/Berlin", "days": ["1", "4"]},
        timeout=30,
    ).json()
    assert as_json["error"] is None and len(as_json["runs"]) == 5
    assert all(run["local"].startswith(("Mon", "Thu")) for run in as_json["runs"])
    bad = alice_browser.get(
        live_portal.url("/automations/preview"),
        params={"preset": "cron", "cron": "61 * * * *", "timezone": "UTC"},
        timeout=30,
    ).json()
    assert bad["field"] == "cron" and "not valid" in bad["error"]
    fields.pop("preview")
    fields.update(delete_source="on", delete_confirm="wrong")
    refused = alice_browser.post(live_portal.url("/automations/new"), data=fields, timeout=30)
    assert refused.status_code == 400 and "type its name (notebooks)" in refused.text
    assert fields["name"] in refused.text  # what was typed is kept


def test_run_now_runs_the_sync_and_the_history_shows_its_task(live_portal, alice_browser, alice_id):
    automation_id, fields = _create(live_portal, alice_browser)
    detail = alice_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert "Daily at 03:30 (Europe/Berlin)" in detail and "No runs yet" in detail
    _post(live_portal, alice_browser, f"/automations/{automation_id}/run")
    run_id = _latest_run(live_portal, automation_id)
    status, steps = drive_run(live_portal, alice_id, run_id)
    assert status == "succeeded", steps
    task_id = steps[0][2]
    history = alice_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert f'href="/tasks/{task_id}"' in history and "Succeeded" in history
    assert re.search(r'<td class="num" data-label="Files">6</td>', history), "six notebooks transferred"
    task_page = alice_browser.get(live_portal.url(f"/tasks/{task_id}"), timeout=30).text
    assert fields["name"] in task_page  # the label template filled in


def test_a_chain_sync_backup_ingest_completes_with_each_step_status(live_portal, carol_browser, carol_id):
    # Carol administers the gateway's Search index, so her runs may add records to it.
    backup = f"/~/auto-backup-{uuid.uuid4().hex[:8]}/"
    automation_id, fields = _create(
        live_portal, carol_browser, backup="on", backup_collection=LAB_ARCHIVE, backup_path=backup, ingest="on"
    )
    _post(live_portal, carol_browser, f"/automations/{automation_id}/run")
    run_id = _latest_run(live_portal, automation_id)
    status, steps = drive_run(live_portal, carol_id, run_id)
    assert status == "succeeded", steps
    assert [(kind, state) for kind, state, _ in steps] == [
        ("transfer", "succeeded"),
        ("backup", "succeeded"),
        ("ingest", "succeeded"),
    ]
    history = carol_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    for label in ("Sync: ", "Backup copy: ", "Search records: "):
        assert label in history
    assert "6 records" in history
    listing = carol_browser.get(live_portal.url(f"/browse/{LAB_ARCHIVE}"), params={"path": backup}, timeout=30).text
    assert "analysis_" in listing or ".py" in listing


def test_a_failed_step_stops_the_chain_notifies_and_is_retried_from_that_step(live_portal, dave_browser, dave_id):
    # Dave may read the public reference data but not write into it: the sync's submit is refused.
    automation_id, _ = _create(
        live_portal,
        dave_browser,
        source=collection_id("public-reference"),
        source_path="/",
        destination=collection_id("public-reference"),
        destination_path="/copy/",
        ingest="on",
    )
    _post(live_portal, dave_browser, f"/automations/{automation_id}/run")
    run_id = _latest_run(live_portal, automation_id)
    status, steps = drive_run(live_portal, dave_id, run_id)
    assert status == "failed"
    assert steps[0][1] == "failed" and steps[1][1] == "pending", "the chain stops at the failed step"
    page = dave_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert "Retry from this step" in page
    bell = dave_browser.get(live_portal.url("/notifications"), timeout=30).text
    assert "failed at: Sync" in bell and "may not write" in bell and "retry from this step" in bell
    with live_portal.context():
        run = db.session.get(AutomationRun, run_id)
        failed = next(step for step in run.steps if step.status == "failed")
        failed_id, position = failed.id, failed.position
        db.session.remove()
    response = dave_browser.post(
        live_portal.url(f"/automations/{automation_id}/runs/{run_id}/steps/{failed_id}/retry"),
        data={"csrf_token": csrf_from(page)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    status, steps = drive_run(live_portal, dave_id, run_id)
    assert status == "failed" and steps[position][1] == "failed"  # still refused, and said so again
    with live_portal.context():
        run = db.session.get(AutomationRun, run_id)
        assert [s.attempts for s in run.steps][position] == 2  # the retry was its second attempt
        db.session.remove()


def test_pause_resume_delete(live_portal, alice_browser):
    automation_id, fields = _create(live_portal, alice_browser)
    _post(live_portal, alice_browser, f"/automations/{automation_id}/pause")
    page = alice_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert "Paused by you" in page and ">Resume<" in page and "Next runs" not in page
    _post(live_portal, alice_browser, f"/automations/{automation_id}/resume")
    page = alice_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert "Next runs" in page
    listing = alice_browser.get(live_portal.url("/automations/"), timeout=30).text
    assert fields["name"] in listing
    _post(live_portal, alice_browser, f"/automations/{automation_id}/delete")
    assert alice_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).status_code == 404


@pytest.mark.parametrize("path", ["/automations/999999", "/automations/999999/edit"])
def test_someone_elses_or_missing_automation_is_not_found(live_portal, bob_browser, path):
    assert bob_browser.get(live_portal.url(path), timeout=30).status_code == 404


def test_a_sync_that_deletes_its_source_moves_a_scratch_folder_and_empties_it(live_portal, alice_browser, alice_id):
    # A folder of Alice's own to give up (never seeded data): six notebooks copied into scratch first.
    import globus_sdk

    from tests.emulator.transfer_clients import transfer_as
    from tests.waiting import wait_until

    client = transfer_as(live_portal.emulator, "alice")
    scratch = f"scratch-{uuid.uuid4().hex[:8]}"
    staged = globus_sdk.TransferData(source_endpoint=CRYOEM_SHARED, destination_endpoint=LAB_ARCHIVE)
    staged.add_item("/~/notebooks/", f"/~/{scratch}/", recursive=True)
    task_id = client.submit_transfer(staged)["task_id"]
    wait_until(lambda: client.get_task(task_id)["status"] == "SUCCEEDED", 60, "staging the scratch folder")

    automation_id, _ = _create(
        live_portal,
        alice_browser,
        source=LAB_ARCHIVE,
        source_path=f"/~/{scratch}/",
        destination=LAB_ARCHIVE,
        destination_path=f"/~/{scratch}-kept/",
        delete_source="on",
        delete_confirm=scratch,
    )
    _post(live_portal, alice_browser, f"/automations/{automation_id}/run")
    run_id = _latest_run(live_portal, automation_id)
    status, steps = drive_run(live_portal, alice_id, run_id)
    assert status == "succeeded", steps
    assert [(kind, state) for kind, state, _ in steps] == [("transfer", "succeeded"), ("delete_source", "succeeded")]

    kept = {entry["name"] for entry in client.operation_ls(LAB_ARCHIVE, path=f"/~/{scratch}-kept/")}
    assert len(kept) == 6, kept
    with pytest.raises(globus_sdk.TransferAPIError) as gone:
        client.operation_ls(LAB_ARCHIVE, path=f"/~/{scratch}/")
    assert gone.value.http_status == 404, "the source folder went, after its checksum-verified copy"
    history = alice_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert "Delete source folder: " in history and "6 files deleted" in history
