"""Small decisions of the file manager pages, taken in the service: the options panel, a refused delete, its token."""

from __future__ import annotations

import pytest

from app.services import files, submissions
from app.services.errors import InvalidRequest


def test_the_options_panel_opens_only_for_a_listing_not_shown_the_default_way():
    assert not files.ListingOptions().customised
    assert not files.ListingOptions(offset=200).customised  # paging is not an option
    for changed in (
        {"sort": "size"},
        {"descending": True},
        {"name_filter": "tif"},
        {"show_hidden": True},
        {"limit": 250},
    ):
        assert files.ListingOptions(**changed).customised, changed


def test_a_refused_delete_shows_the_selection_as_picked():
    plan = files.DeletionPlan.as_selected("c0ffee", "/~/data", ["a.txt"], ["run 01"])
    assert plan.folder == "/~/data/" and plan.folder_count == 1
    assert [(item.name, item.is_dir, item.previewed) for item in plan.items] == [
        ("a.txt", False, False),
        ("run 01", True, False),
    ]


def test_a_refused_form_keeps_its_token_unless_the_token_was_refused():
    assert submissions.token_after(InvalidRequest("bad name", field="name"), "kept-token") == "kept-token"
    assert submissions.token_after(None, None) == ""
    fresh = submissions.token_after(InvalidRequest("expired", field="form_token"), "old-token")
    assert fresh != "old-token" and submissions.FORM_TOKEN_PATTERN.match(fresh)


def test_a_delete_without_a_selection_is_refused_before_anything_is_submitted():
    with pytest.raises(InvalidRequest, match="Select at least one"):
        files.submit_deletion(1, "t" * 20, "c0ffee", "/~/", [], [], "label")
