"""Collection search and a collection's page over real HTTP, as a logged-in researcher sees them."""

from __future__ import annotations

from tests.emulator.transfer_clients import collection_id

CRYOEM_SHARED = collection_id("cryoem-shared")


def test_searching_all_without_words_asks_for_them_without_an_error(live_portal, alice_browser):
    page = alice_browser.get(live_portal.url("/collections/"), params={"scope": "all"}, timeout=30)
    assert page.status_code == 200
    assert "Type some words" in page.text
    assert 'role="alert"' not in page.text and 'aria-invalid="true"' not in page.text


def test_searching_all_with_words_finds_the_shared_collection(live_portal, alice_browser):
    page = alice_browser.get(live_portal.url("/collections/"), params={"scope": "all", "q": "cryo"}, timeout=30)
    assert page.status_code == 200
    assert f"/collections/{CRYOEM_SHARED}" in page.text


def test_collection_page_lists_keywords_readably(live_portal, alice_browser):
    page = alice_browser.get(live_portal.url(f"/collections/{CRYOEM_SHARED}"), timeout=30)
    assert page.status_code == 200
    assert "cryo-em, shared, microscopy" in page.text
