"""What the task pages take from the service: a refused filter or page, and the sync level by name."""

from __future__ import annotations

import copy

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
