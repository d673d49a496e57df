"""Transfer options and batch lists: validated completely before anything is submitted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services import transfers
from app.services.errors import InvalidRequest


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
