"""Automation steps meeting an unwell Transfer (5xx and 429 on submit, through a fault proxy in front of
the emulator): each step is tried again with its saved form token, so the run still ends with one task
per step; a Transfer that never recovers fails the step after MAX_ATTEMPTS, and says so."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from app.extensions import db
from app.models.automation import AutomationRun
from app.services.automation_chain import MAX_ATTEMPTS
from tests.automation_fixtures import drive_run
from tests.automation_fixtures import seeded_collection as collection_id
from tests.fault_proxy import FaultProxy
from tests.integration.test_automations import _create, _latest_run, _post

LAB_ARCHIVE = collection_id("lab-archive")


@contextmanager
def transfer_through(portal, proxy: FaultProxy) -> Iterator[None]:
    """Point the portal's Transfer calls at `proxy`, with no SDK-level retries, so every fault the
    proxy answers reaches the step itself (the SDK's own retries are tested elsewhere)."""
    config = portal.app.config
    saved = {name: config.get(name) for name in ("GLOBUS_TRANSFER_URL", "WORKER_MAX_RETRIES")}
    config["GLOBUS_TRANSFER_URL"] = proxy.url_for(portal.emulator.services["transfer"])
    config["WORKER_MAX_RETRIES"] = 0
    portal.app.extensions.pop("globus_settings", None)  # rebuilt from the changed settings
    try:
        yield
    finally:
        config.update(saved)
        portal.app.extensions.pop("globus_settings", None)


def _run_now_through(portal, browser, user_id: int, automation_id: int, proxy: FaultProxy) -> tuple[int, str, list]:
    """Press Run now with Transfer behind `proxy`, and be the worker until the run ends."""
    proxy.start()
    try:
        with transfer_through(portal, proxy):
            _post(portal, browser, f"/automations/{automation_id}/run")
            run_id = _latest_run(portal, automation_id)
            status, steps = drive_run(portal, user_id, run_id)
    finally:
        proxy.stop()
    return run_id, status, steps


def _attempts(portal, run_id: int) -> list[int]:
    with portal.context():
        run = db.session.get(AutomationRun, run_id)
        assert run is not None
        attempts = [step.attempts for step in run.steps]
        db.session.remove()
    return attempts


def test_5xx_and_429_on_each_step_are_retried_into_one_task_per_step(live_portal, carol_browser, carol_id):
    backup = f"/~/faults-backup-{uuid.uuid4().hex[:8]}/"
    automation_id, _ = _create(
        live_portal, carol_browser, backup="on", backup_collection=LAB_ARCHIVE, backup_path=backup
    )
    # The sync's submit meets 503, 429, 502, then gets through; the backup's meets 429 once.
    proxy = FaultProxy(live_portal.emulator.base_url, fail_submits=(503, 429, 502, None, 429))
    run_id, status, steps = _run_now_through(live_portal, carol_browser, carol_id, automation_id, proxy)
    assert status == "succeeded", steps
    assert proxy.failed == [503, 429, 502, 429]
    made = [task["task_id"] for task in proxy.forwarded_submits]
    assert made == [task_id for _, _, task_id in steps], "exactly one task per step, none doubled"
    assert _attempts(live_portal, run_id) == [4, 2]
    page = carol_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert "Succeeded" in page and "try again later" not in page  # the passing faults leave no error behind


def test_a_transfer_that_never_recovers_fails_the_step_after_the_last_attempt(live_portal, alice_browser, alice_id):
    automation_id, _ = _create(live_portal, alice_browser)
    proxy = FaultProxy(live_portal.emulator.base_url, fail_submits=(503,) * (MAX_ATTEMPTS + 2))
    _, status, steps = _run_now_through(live_portal, alice_browser, alice_id, automation_id, proxy)
    assert status == "failed" and steps[0][1] == "failed" and steps[0][2] is None
    assert len(proxy.failed) == MAX_ATTEMPTS and not proxy.forwarded_submits, "no task was made"
    page = alice_browser.get(live_portal.url(f"/automations/{automation_id}"), timeout=30).text
    assert f"gave up after {MAX_ATTEMPTS} attempts" in page and "Retry from this step" in page
    bell = alice_browser.get(live_portal.url("/notifications"), timeout=30).text
    assert "failed at: Sync" in bell
