"""Notifications in a real headless chromium: a transfer ends while the researcher is elsewhere, the
worker's poll notices, the bell shows it, the list opens the task, and the preferences are saved."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models.timestamps import utcnow
from app.models.tracked_task import TrackedTask
from app.services import notifications, submissions, transfers
from app.unit_of_work import unit_of_work
from app.worker.context import bind_app
from app.worker.jobs.task_watch import poll_user_tasks
from tests.e2e.test_researcher_journey import _log_in, browser_page  # noqa: F401 - the shared chromium fixture
from tests.emulator.transfer_clients import collection_id
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")


def _ended(live_portal, user_id: int, task_id: str) -> bool:
    """One worker poll of the user (their tasks made due now); True once the task has ended."""
    with live_portal.context():
        db.session.execute(
            update(TrackedTask)
            .where(TrackedTask.user_id == user_id, TrackedTask.ended_at.is_(None))
            .values(next_check_at=utcnow())
        )
        db.session.commit()
    poll_user_tasks.call_local(user_id)
    with live_portal.context():
        return db.session.scalar(select(TrackedTask.ended_at).where(TrackedTask.task_id == task_id)) is not None


def test_a_finished_transfer_rings_the_bell_and_opens_the_task(live_portal, browser_page):  # noqa: F811
    page, console_errors = browser_page
    expect = playwright_api.expect
    _log_in(page, live_portal, "alice")
    alice = live_portal.user_id("alice")
    with live_portal.context(), unit_of_work():
        notifications.mark_all_read(alice)
        notifications.save_preferences(alice, email_kinds=[], globus_emails=False)
    page.reload()
    bell = page.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(bell).to_have_text("Notifications")

    label = f"bell {uuid.uuid4().hex[:6]}"
    items = transfers.items_from_selection("/~/run 01/", f"/~/bell-{uuid.uuid4().hex[:8]}/", [("img_0003.tif", False)])
    request = transfers.build_request(
        collection_id("cryoem-shared"), collection_id("lab-archive"), items, transfers.parse_options({"label": label})
    )
    with live_portal.context(), unit_of_work():
        task_id = transfers.submit_transfer(alice, submissions.new_form_token(), request).task_id
    bind_app(live_portal.app)
    wait_until(lambda: _ended(live_portal, alice, task_id), 90, "the worker seeing the transfer end")

    page.reload()
    expect(bell).to_have_text("Notifications 1")
    bell.click()
    expect(page.get_by_role("heading", name=f"new Transfer succeeded: {label}")).to_be_visible()
    page.get_by_role("listitem").filter(has_text=label).get_by_role("button", name="Open").click()
    expect(page).to_have_url(re.compile(f"/tasks/{task_id}$"))
    expect(page.get_by_role("link", name=re.compile(r"^Notifications"))).to_have_text("Notifications")

    page.goto(live_portal.url("/notifications/preferences"))
    page.get_by_label("A transfer failed or was cancelled").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Notification preferences saved.")).to_be_visible()
    expect(page.get_by_label("A transfer failed or was cancelled")).to_be_checked()
    expect(page.get_by_label("A transfer succeeded")).not_to_be_checked()
    with live_portal.context():
        assert notifications.preferences(alice).email_kinds == {"task_failed"}
    assert not console_errors, console_errors
