"""Upstream down or unreachable: a 503 page naming the service, with a retry link; never a traceback."""

from __future__ import annotations

import pytest

from tests.users import logged_in


@pytest.fixture
def public_collection_down(live_portal):
    collection = live_portal.emulator.collection("public-reference")["id"]
    response = live_portal.emulator.control_post(f"collections/{collection}/availability", {"available": False})
    assert response.status_code == 200, response.text
    yield collection
    live_portal.emulator.control_post(f"collections/{collection}/availability", {"available": True})


def test_an_unavailable_collection_gives_the_collection_503_page(live_portal, public_collection_down):
    browser = logged_in(live_portal, "dave")
    page = f"/_probe/ls/{public_collection_down}"
    response = browser.get(live_portal.url(page), timeout=60)
    assert response.status_code == 503
    assert "is not reachable" in response.text and "Public Reference Datasets" in response.text
    assert "Globus Transfer is not responding" not in response.text, "Transfer answered; the collection did not"
    assert f'href="{page}"' in response.text and "Try again" in response.text
    assert "Traceback" not in response.text

    as_json = browser.get(live_portal.url(page), headers={"Accept": "application/json"}, timeout=60)
    assert as_json.status_code == 503 and as_json.json()["service"] == "transfer"
    assert as_json.json()["error"] == "collection_unavailable"
