"""services/transfers.py (+ submissions.py): options and batch lists validated completely before anything is
submitted; then, against the emulator, saved before the call, one task per form."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.tracked_task import TrackedTask, TransferSubmission
from app.services import submissions, transfers
from app.services.errors import InvalidRequest
from tests.emulator.transfer_clients import collection_id


def test_every_option_reaches_the_document():
    deadline = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "label": "Nightly <sync> 'run'",
        "sync_level": "checksum",
        "deadline": deadline,
        "exclude_rules": "*.tmp\nfile:*.tgz\ndir:scratch\n\n",
        **{name: "on" for name in transfers.BOOLEAN_OPTIONS},
    }
    options = transfers.parse_options(form)
    doc = options.document()
    assert doc["label"] == "Nightly <sync> 'run'"
    assert doc["sync_level"] == "checksum"
    assert doc["deadline"].startswith(deadline)
    assert all(doc[name] is True for name in transfers.BOOLEAN_OPTIONS)
    assert doc["exclude_rules"] == [
        {"name": "*.tmp", "type": None},
        {"name": "*.tgz", "type": "file"},
        {"name": "scratch", "type": "dir"},
    ]
    assert transfers.TransferOptions.from_document(doc) == options


def test_unticked_boxes_are_false():
    doc = transfers.parse_options({"sync_level": ""}).document()
    assert not any(doc[name] for name in transfers.BOOLEAN_OPTIONS)
    assert doc["sync_level"] is None and doc["label"] is None and doc["deadline"] is None


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"sync_level": "sometimes"}, "sync_level"),
        ({"deadline": "tomorrow-ish"}, "deadline"),
        ({"deadline": "2001-01-01T00:00"}, "deadline"),
        ({"deadline": "9999-12-31T23:59:59-05:00"}, "deadline"),  # year 10000 in UTC: was an OverflowError
        ({"label": "x" * 129}, "label"),
        ({"label": "bad\x00label"}, "label"),
        ({"exclude_rules": "a/b"}, "exclude_rules"),
        ({"delete_destination_extra": "on"}, "delete_destination_extra"),
    ],
)
def test_bad_options_name_their_field(form, field):
    with pytest.raises(InvalidRequest) as err:
        transfers.parse_options(form)
    assert err.value.field == field


def test_batch_list_with_quotes_comments_and_relative_paths():
    text = """
    # copy the runs
    /~/runs/a.dat /~/copies/a.dat
    'Run 01/b c.dat' "dest dir/b c.dat"
    --recursive /~/runs/sub/ /~/copies/sub/
    /~/x/ünï /~/y/ünï -r
    """
    items = transfers.parse_batch(text, "/~/base/", "/~/target/")
    assert [(i.source, i.destination, i.recursive) for i in items] == [
        ("/~/runs/a.dat", "/~/copies/a.dat", False),
        ("/~/base/Run 01/b c.dat", "/~/target/dest dir/b c.dat", False),
        ("/~/runs/sub/", "/~/copies/sub/", True),
        ("/~/x/ünï/", "/~/y/ünï/", True),
    ]


def test_batch_errors_are_reported_line_by_line_and_nothing_is_returned():
    text = "/~/a /~/b\n/~/only-one\n'unclosed /~/x\n/~/../etc/passwd /~/p\n/~/ok /~/fine\n"
    with pytest.raises(transfers.BatchListInvalid) as err:
        transfers.parse_batch(text, "/~/", "/~/")
    lines = [(e.line, e.message) for e in err.value.line_errors]
    assert [line for line, _ in lines] == [2, 3, 4]
    assert "source and a destination" in lines[0][1]
    assert ".." in lines[2][1]


def test_empty_batch_is_refused():
    with pytest.raises(InvalidRequest) as err:
        transfers.parse_batch("# nothing\n\n", "/~/", "/~/")
    assert err.value.field == "batch"


def test_selection_items_copy_names_and_mark_folders_recursive():
    items = transfers.items_from_selection("/~/src/", "/~/dst/", [("a b.txt", False), ("<dir>", True)])
    assert [(i.source, i.destination, i.recursive) for i in items] == [
        ("/~/src/a b.txt", "/~/dst/a b.txt", False),
        ("/~/src/<dir>/", "/~/dst/<dir>/", True),
    ]


def test_posted_items_are_checked_again():
    with pytest.raises(InvalidRequest):
        transfers.items_from_document([{"source": "/~/a/../../b", "destination": "/~/c", "recursive": False}])
    with pytest.raises(InvalidRequest):
        transfers.items_from_document("not a list")
    items = transfers.items_from_document([{"source": "/~/d", "destination": "/~/e", "recursive": True}])
    assert items[0].source == "/~/d/" and items[0].destination == "/~/e/"


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
