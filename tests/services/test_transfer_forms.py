"""A refused transfer form comes back as typed; an uploaded list is bounded and must be UTF-8."""

from __future__ import annotations

import io

import pytest

from app.services import transfer_forms, transfers
from app.services.errors import InvalidRequest


def test_typed_options_keep_what_was_typed_even_when_invalid():
    form = {
        "label": "x" * 1000,
        "sync_level": "checksum",
        "deadline": "not a date",
        "exclude_rules": " *.tmp \n\n/bad/rule\n",
        "verify_checksum": "on",
        "encrypt_data": "anything",
        "not_an_option": "on",
    }
    options = transfer_forms.typed_options(form)
    assert options.label == "x" * (transfers.MAX_LABEL * 2)
    assert options.sync_level == "checksum"
    assert options.deadline == "not a date"
    assert options.exclude_rules == (("*.tmp", ""), ("/bad/rule", ""))
    assert options.flags == frozenset({"verify_checksum", "encrypt_data"})


def test_typed_options_drop_a_sync_level_that_is_not_offered():
    assert transfer_forms.typed_options({"sync_level": "sometimes"}).sync_level == ""
    assert transfer_forms.typed_options({}) == transfers.TransferOptions(flags=frozenset())


def test_an_uploaded_list_is_utf8_text_and_its_bom_is_dropped():
    assert transfer_forms.uploaded_list(io.BytesIO("\ufeffa b\n".encode())) == "a b\n"
    with pytest.raises(InvalidRequest, match="not UTF-8") as refused:
        transfer_forms.uploaded_list(io.BytesIO(b"\xff\xfe a b"))
    assert refused.value.field == "batch"


def test_an_uploaded_list_over_1_mb_is_refused_after_reading_only_the_limit():
    upload = io.BytesIO(b"a" * (transfers.MAX_BATCH_BYTES * 3))
    with pytest.raises(InvalidRequest, match="uploaded list is larger than 1 MB"):
        transfer_forms.uploaded_list(upload)
    assert upload.tell() == transfers.MAX_BATCH_BYTES + 1


def test_a_typed_list_over_1_mb_is_refused_by_the_same_check():
    with pytest.raises(InvalidRequest, match="^The list is larger than 1 MB"):
        transfers.parse_batch("a b\n" * (transfers.MAX_BATCH_BYTES // 4 + 1), "/~/", "/~/")


def test_a_batch_form_shows_line_errors_only_for_a_refused_list():
    bad = transfers.BatchListInvalid([transfers.BatchLineError(1, "x", "no")])
    assert transfer_forms.BatchForm(values={}, error=bad).line_errors == bad.line_errors
    assert transfer_forms.BatchForm(values={}, error=InvalidRequest("no")).line_errors == []
