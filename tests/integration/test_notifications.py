"""Notification pages on the live portal: the bell's count, the paged list, mark read (POST + CSRF),
preferences; and an email that reaches the local SMTP server."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.notification import Notification
from app.services import notifications
from app.unit_of_work import unit_of_work
from tests.portal_fixtures import csrf_from
from tests.users import logged_in
from tests.worker_fixtures import run_queued_jobs


def _notify(portal, user_id: int, count: int, kind: str = "task_failed") -> list[int]:
    with portal.context(), unit_of_work():
        return [
            notifications.notify(user_id, kind, f"Transfer failed: run {n}", "Permission denied.", link=f"/tasks/t{n}")
            for n in range(count)
        ]


def _bell(html: str) -> int:
    match = re.search(r'class="bell"[^>]*>Notifications(?: <span class="badge"[^>]*>(\d+)</span>)?', html)
    assert match, "no bell in the page header"
    return int(match.group(1) or 0)


def test_the_bell_counts_unread_and_the_list_pages_and_marks_read(live_portal):
    browser = logged_in(live_portal, "dave")
    dave = live_portal.user_id("dave")
    with live_portal.context():
        # Nothing by email here: this test is about the pages.
        notifications.save_preferences(dave, email_kinds=[], globus_emails=False)
        db.session.commit()
    before = _bell(browser.get(live_portal.url("/"), timeout=30).text)
    ids = _notify(live_portal, dave, 30)
    home = browser.get(live_portal.url("/"), timeout=30).text
    assert _bell(home) == before + 30

    first = browser.get(live_portal.url("/notifications"), timeout=30)
    assert first.status_code == 200 and "Transfer failed: run 29" in first.text and "Older →" in first.text
    second = browser.get(live_portal.url("/notifications?offset=25"), timeout=30)
    assert "Transfer failed: run 0" in second.text and "← Newer" in second.text

    # Without the CSRF token a POST changes nothing.
    refused = browser.post(
        live_portal.url(f"/notifications/{ids[-1]}/read"), data={}, allow_redirects=False, timeout=30
    )
    assert refused.status_code == 400
    token = csrf_from(first.text)
    opened = browser.post(
        live_portal.url(f"/notifications/{ids[-1]}/read"),
        data={"csrf_token": token, "open": "1"},
        allow_redirects=False,
        timeout=30,
    )
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/tasks/t29")
    assert _bell(browser.get(live_portal.url("/"), timeout=30).text) == before + 29

    # Someone else's notification is not found, and stays unread.
    other = logged_in(live_portal, "bob")
    page = other.get(live_portal.url("/notifications"), timeout=30).text
    stolen = other.post(
        live_portal.url(f"/notifications/{ids[0]}/read"), data={"csrf_token": csrf_from(page)}, timeout=30
    )
    assert stolen.status_code == 404
    with live_portal.context():
        assert db.session.get(Notification, ids[0]).read_at is None

    done = browser.post(
        live_portal.url("/notifications/read-all"), data={"csrf_token": token}, allow_redirects=True, timeout=30
    )
    assert done.status_code == 200 and f"Marked {before + 29} notification(s) read." in done.text
    assert _bell(done.text) == 0


def test_preferences_choose_the_emailed_kinds_and_an_email_arrives(worker_portal, mailbox):
    browser = logged_in(worker_portal, "carol")
    carol = worker_portal.user_id("carol")
    form = browser.get(worker_portal.url("/notifications/preferences"), timeout=30)
    assert form.status_code == 200 and 'name="email_kinds" value="task_succeeded"' in form.text
    saved = browser.post(
        worker_portal.url("/notifications/preferences"),
        data={"csrf_token": csrf_from(form.text), "email_kinds": ["task_failed", "tokens_dead"]},
        timeout=30,
    )
    assert saved.status_code == 200 and "Notification preferences saved." in saved.text
    with worker_portal.context():
        prefs = notifications.preferences(carol)
        address = db.session.scalar(select(User.email).where(User.id == carol))
    assert prefs.email_kinds == {"task_failed", "tokens_dead"} and not prefs.globus_emails
    assert address, "the emulator's id_token gives the user's email"

    bogus = browser.post(
        worker_portal.url("/notifications/preferences"),
        data={"csrf_token": csrf_from(form.text), "email_kinds": ["task_failed", "everything"]},
        timeout=30,
    )
    assert bogus.status_code == 400 and "Unknown notification kind: everything." in bogus.text

    failed = _notify(worker_portal, carol, 1, "task_failed")[0]
    succeeded = _notify(worker_portal, carol, 1, "task_succeeded")[0]
    run = run_queued_jobs(worker_portal.app)
    assert run.count("send_notification_email") >= 1 and not run.errors
    with worker_portal.context():
        assert db.session.get(Notification, failed).email_status == "sent"
        assert db.session.get(Notification, succeeded).email_status == "none"  # not a chosen kind
    [message] = [m for m in mailbox.messages_to(address) if m["Subject"] == "Transfer failed: run 0"]
    body = message.get_content()
    assert "Permission denied." in body and f"{worker_portal.base_url}/tasks/t0" in body


def test_an_email_whose_job_was_lost_is_sent_by_the_next_sweep(worker_portal, mailbox):
    from datetime import timedelta

    from app.worker.jobs.notifications import resend_stranded_emails
    from app.worker.queue import huey

    logged_in(worker_portal, "bob")
    bob = worker_portal.user_id("bob")
    with worker_portal.context():
        notifications.save_preferences(bob, email_kinds=["task_failed"], globus_emails=False)
        db.session.commit()
        address = db.session.scalar(select(User.email).where(User.id == bob))
    [lost] = _notify(worker_portal, bob, 1)
    with worker_portal.context():
        # The worker that took the email job was killed: the job is gone, the row still pending.
        huey.flush()
        row = db.session.get(Notification, lost)
        row.created_at = row.created_at - timedelta(hours=2)
        db.session.commit()
        assert db.session.get(Notification, lost).email_status == "pending"
    resend_stranded_emails.call_local()
    run = run_queued_jobs(worker_portal.app)
    assert run.count("send_notification_email") == 1 and not run.errors
    with worker_portal.context():
        assert db.session.get(Notification, lost).email_status == "sent"
    assert len([m for m in mailbox.messages_to(address) if m["Subject"] == "Transfer failed: run 0"]) == 1
