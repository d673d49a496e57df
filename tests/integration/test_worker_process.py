"""A real `gateway worker` process does the whole watch: the poll queued by a submission runs when
due, notices the end, and the email job delivers to the local SMTP server."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.notification import Notification
from app.services import submissions, transfers
from app.unit_of_work import unit_of_work
from tests.emulator.helpers import login_user_tokens
from tests.integration.test_worker_reliability import (  # noqa: F401 - fixtures shared with the reliability tests
    CRYOEM_SHARED,
    LAB_ARCHIVE,
    SCOPES,
    _start_worker,
    _stop,
    overrides,
    portal,
)
from tests.users import portal_user
from tests.waiting import wait_until


def test_a_worker_process_watches_a_submitted_task_and_emails_its_end(
    portal,  # noqa: F811
    overrides,  # noqa: F811
    emulator,
    mailbox,
    tmp_path,
):
    alice = portal_user(portal, "alice", tokens=login_user_tokens(emulator, "alice", SCOPES, refresh_tokens=True))
    address = f"alice+{uuid.uuid4().hex[:6]}@example.edu"
    with portal.app_context():
        db.session.get(User, alice).email = address
        db.session.commit()
    label = f"watched {uuid.uuid4().hex[:6]}"
    items = transfers.items_from_selection("/~/run 01/", f"/~/proc-{uuid.uuid4().hex[:8]}/", [("img_0005.tif", False)])
    request = transfers.build_request(CRYOEM_SHARED, LAB_ARCHIVE, items, transfers.parse_options({"label": label}))
    with portal.app_context(), unit_of_work():
        task_id = transfers.submit_transfer(alice, submissions.new_form_token(), request).task_id

    worker = _start_worker(overrides, tmp_path / "worker.log", SMTP_URL=mailbox.url, MAIL_FROM="gw@example.org")
    try:
        wait_until(
            lambda: [m for m in mailbox.messages_to(address) if m["Subject"] == f"Transfer succeeded: {label}"],
            120,
            lambda: (tmp_path / "worker.log").read_text()[-3000:],
        )
    finally:
        _stop(worker)
    assert worker.returncode == 0, "SIGTERM is a clean stop"
    with portal.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == alice))
        assert note is not None and note.link == f"/tasks/{task_id}" and note.email_status == "sent"
