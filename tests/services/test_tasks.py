"""services/tasks.py: what the task pages take from the service (a refused filter or page, the sync level by
name); filters into Transfer clauses, and task documents (the SDK's canned payload) into pages."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from globus_sdk.testing.data.transfer.task_list import TASK_LIST_DOC

from app.services import paging, task_records, tasks
from app.services.errors import InvalidRequest


@pytest.mark.parametrize("args", [{"status": "LOST"}, {"offset": "two"}, {"offset": "-1"}])
def test_a_refused_filter_or_page_is_shown_on_the_list(args):
    listed = tasks.task_list(1, args)
    assert listed.page is None and isinstance(listed.error, InvalidRequest)


def test_an_offset_is_a_whole_number_or_a_clear_refusal():
    assert paging.parse_offset(None) == 0 and paging.parse_offset("") == 0 and paging.parse_offset("25") == 25
    with pytest.raises(InvalidRequest, match="page number is not valid") as refused:
        paging.parse_offset("1e3", "events_offset")
    assert refused.value.field == "events_offset"


@pytest.mark.parametrize(
    ("level", "text"), [(0, "exists"), (3, "checksum"), ("size", "size"), (7, "7"), (None, "none (copy everything)")]
)
def test_the_sync_level_is_shown_by_the_name_the_form_uses(level, text):
    doc = copy.deepcopy(TASK_LIST_DOC["DATA"][0])
    doc["sync_level"] = level
    assert task_records.task_from_document(doc).sync_level_text == text


def test_filters_become_transfer_clauses():
    filters = tasks.parse_filters(
        {"status": "failed", "type": "transfer", "label": "Run 01", "from": "2026-11-01", "to": "2026-11-23"}
    )
    assert filters.upstream() == {
        "status": "FAILED",
        "type": "TRANSFER",
        "label": "~Run 01",
        "request_time": "2026-11-01,2026-11-23T23:59:59",
    }
    assert filters.query() == {
        "status": "FAILED",
        "type": "TRANSFER",
        "label": "Run 01",
        "from": "2026-11-01",
        "to": "2026-11-23",
    }
    assert tasks.parse_filters({}).upstream() == {}
    assert tasks.parse_filters({"to": "2026-01-02"}).until == date(2026, 1, 2)


@pytest.mark.parametrize(
    "args",
    [
        {"status": "LOST"},
        {"type": "COPY"},
        {"label": "a,b"},
        {"label": "a/b"},
        {"from": "soon"},
        {"from": "2026-02-02", "to": "2026-01-01"},
    ],
)
def test_bad_filters_are_refused(args):
    with pytest.raises(InvalidRequest):
        tasks.parse_filters(args)


def test_a_real_task_document_becomes_a_task():
    doc = copy.deepcopy(TASK_LIST_DOC["DATA"][0])
    task = task_records.task_from_document(doc)
    assert task.status == "SUCCEEDED" and task.is_done and task.percent == 100
    assert task.source_name == "Source Endpoint" and task.destination_name == "Destination Endpoint"
    assert task.files_transferred == 1 and task.bytes_transferred == 4 and not task.can_cancel
    assert task.requested.year == 2021 and task.options["verify_checksum"] is True


def test_progress_cancelled_and_active_states():
    doc = copy.deepcopy(TASK_LIST_DOC["DATA"][0])
    doc.update(
        status="ACTIVE",
        subtasks_total=10,
        subtasks_pending=6,
        subtasks_retrying=1,
        nice_status="Queued",
        completion_time=None,
    )
    active = task_records.task_from_document(doc)
    assert active.percent == 30 and active.can_cancel and active.status_label == "Active"
    doc.update(
        status="FAILED",
        fatal_error={"code": "CANCELED", "description": "canceled"},
        subtasks_pending=0,
        subtasks_retrying=0,
    )
    cancelled = task_records.task_from_document(doc)
    assert cancelled.cancelled and cancelled.status_label == "Cancelled" and cancelled.can_resubmit


@pytest.mark.parametrize("raw", ["", "../etc", "1234", "not-a-task-id-at-all-but-long-enough!!"])
def test_task_ids_are_checked(raw):
    with pytest.raises(InvalidRequest):
        tasks.check_task_id(raw)
