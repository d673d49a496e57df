"""The search page's answer for its query arguments, decided before anything is asked of Transfer."""

from __future__ import annotations

from app.services import collections


def test_searching_all_with_no_words_asks_for_them_calmly():
    found = collections.find_collections(1, "  ", None, "not a number")
    assert found == collections.CollectionSearch("", "recently-used", error="That page number is not valid.")
    found = collections.find_collections(1, "", "all", "not a number")
    assert (found.scope, found.hint, found.error, found.results) == ("all", collections.SEARCH_ALL_HINT, None, None)


def test_words_without_a_scope_search_all():
    found = collections.find_collections(1, " cryo ", None, "-1")
    assert (found.text, found.scope, found.results) == ("cryo", "all", None)
    assert "first 1,000 matches" in found.error


def test_an_unknown_scope_is_a_refusal_shown_on_the_page():
    found = collections.find_collections(1, "cryo", "everywhere", "0")
    assert found.error.startswith("Choose where to search") and found.hint is None
