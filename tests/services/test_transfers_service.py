"""services/transfers.py + submissions.py against the emulator: saved before the call, one task per form."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.tracked_task import TrackedTask, TransferSubmission
from app.services import submissions, transfers
from app.services.errors import InvalidRequest
from tests.emulator.transfer_clients import collection_id

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")


def _request(label):
    items = transfers.items_from_selection("/~/run 02/", f"/~/svc-{uuid.uuid4().hex[:8]}/", [("img_0001.tif", False)])
    options = transfers.parse_options({"label": label, "sync_level": "mtime", "verify_checksum": "on"})
    return transfers.build_request(CRYOEM_SHARED, LAB_ARCHIVE, items, options)


def test_concurrent_presses_of_one_form_make_one_task(live_portal, alice_id):
    token = submissions.new_form_token()
    request = _request(f"svc {uuid.uuid4().hex[:6]}")
    results, errors = [], []

    def press():
        try:
            with live_portal.context():
                results.append(transfers.submit_transfer(alice_id, token, request))
        except Exception as err:  # collected and asserted on below
            errors.append(err)

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len({result.task_id for result in results}) == 1
    with live_portal.context():
        rows = db.session.scalars(select(TransferSubmission).where(TransferSubmission.form_token == token)).all()
        assert len(rows) == 1 and rows[0].task_id == results[0].task_id and rows[0].submitted_at
        assert (
            rows[0].document["sync_level"] == "mtime"
            and rows[0].document["items"][0]["source"] == "/~/run 02/img_0001.tif"
        )
        tracked = db.session.scalars(select(TrackedTask).where(TrackedTask.task_id == results[0].task_id)).all()
        assert len(tracked) == 1 and tracked[0].user_id == alice_id and tracked[0].kind == "transfer"


def test_the_saved_document_wins_over_a_changed_repeat(live_portal, alice_id):
    token = submissions.new_form_token()
    with live_portal.context():
        first = transfers.submit_transfer(alice_id, token, _request("original"))
        repeat = transfers.submit_transfer(alice_id, token, _request("tampered"))
    assert repeat.task_id == first.task_id and repeat.reused


@pytest.mark.parametrize("token", ["", "short", "has spaces in it!!!!!!", "x" * 65])
def test_a_missing_or_forged_form_token_is_refused(live_portal, alice_id, token):
    with live_portal.context(), pytest.raises(InvalidRequest) as err:
        transfers.submit_transfer(alice_id, token, _request("bad token"))
    assert err.value.field == "form_token"


def test_same_source_and_destination_is_refused():
    items = transfers.items_from_selection("/~/run 01/", "/~/run 01/", [("img_0001.tif", False)])
    with pytest.raises(InvalidRequest) as err:
        transfers.build_request(CRYOEM_SHARED, CRYOEM_SHARED, items, transfers.TransferOptions())
    assert err.value.field == "items"
