"""services/tasks.py: what the task pages take from the service (a refused filter or page, the sync level by
name); filters into Transfer clauses, and task documents (the SDK's canned payload) into pages."""

from __future__ import annotations

import copy
from dataclasses import replace
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


def _task(**changes):
    doc = copy.deepcopy(TASK_LIST_DOC["DATA"][0])
    doc.update(changes)
    return task_records.task_from_document(doc)


def test_a_running_transfer_counts_files_when_the_byte_total_is_unknown():
    # Issue #9 item 1: 20 of 21 files but 1.1 of 5.6 MB moved was shown as "91 % done".
    active = _task(
        status="ACTIVE",
        files=21,
        files_transferred=20,
        files_skipped=0,
        bytes_transferred=1_100_000,
        effective_bytes_per_second=300_000,
        completion_time=None,
        fatal_error=None,
        nice_status="OK",
    )
    assert active.progress_basis == "files" and active.percent == 95 and active.shows_bar
    assert active.progress_text == "20 of 21 files · 1.1 MB moved · 300 KB/s"
    assert active.eta_seconds is None and active.outcome_text == "" and active.can_cancel


def test_a_measured_selection_shows_a_percentage_of_bytes_and_the_time_left():
    active = replace(
        _task(
            status="ACTIVE",
            files=21,
            files_transferred=20,
            bytes_transferred=1_100_000,
            effective_bytes_per_second=300_000,
            completion_time=None,
            fatal_error=None,
        ),
        expected_bytes=5_600_000,
    )
    assert active.progress_basis == "bytes" and active.percent == 19
    assert active.progress_text == "20 of 21 files · 1.1 MB of 5.6 MB moved · 300 KB/s"
    assert active.eta_seconds == 15 and active.eta_text == "less than two minutes left"


def test_before_globus_counts_the_files_the_task_is_preparing():
    fresh = _task(
        status="ACTIVE",
        files=0,
        files_transferred=0,
        bytes_transferred=0,
        completion_time=None,
        fatal_error=None,
        subtasks_total=0,
    )
    assert fresh.progress_text.startswith("Preparing") and not fresh.shows_bar and fresh.percent == 0


def test_a_cancelled_task_says_so_and_shows_no_full_bar():
    cancelled = _task(
        status="FAILED", files=10, files_transferred=3, fatal_error={"code": "CANCELED", "description": "canceled"}
    )
    assert cancelled.cancelled and cancelled.status_label == "Cancelled" and cancelled.can_resubmit
    assert cancelled.status_class == "CANCELLED" and not cancelled.shows_bar and cancelled.percent == 30
    assert cancelled.outcome_text == "Cancelled at your request."


def test_a_failed_task_gives_its_reason():
    failed = _task(
        status="FAILED",
        files=4,
        files_transferred=1,
        fatal_error={"code": "PERMISSION_DENIED", "description": "permission denied"},
    )
    assert (
        failed.status_class == "FAILED" and failed.outcome_text == "Failed: permission denied" and failed.percent == 25
    )


def test_a_delete_task_speaks_of_items_deleted():
    deleting = _task(
        type="DELETE",
        status="ACTIVE",
        subtasks_total=3,
        subtasks_pending=2,
        subtasks_retrying=0,
        files=0,
        files_transferred=0,
        completion_time=None,
        fatal_error=None,
    )
    assert deleting.progress_basis == "items" and deleting.progress_text == "1 of 3 items deleted"
    assert deleting.percent == 33 and deleting.shows_bar


@pytest.mark.parametrize("raw", ["", "../etc", "1234", "not-a-task-id-at-all-but-long-enough!!"])
def test_task_ids_are_checked(raw):
    with pytest.raises(InvalidRequest):
        tasks.check_task_id(raw)
