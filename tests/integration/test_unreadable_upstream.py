"""An upstream 200 whose body is not JSON (a captive portal, a misrouted proxy) is an outage page, not a 500.

Found by the outside review (issue #7 item 3) on the listing, collection search and task list.
"""

from __future__ import annotations

import pytest

from tests.emulator.transfer_clients import collection_id
from tests.integration.researcher_support import AnsweringProxy, extra_portal
from tests.users import logged_in

LAB_ARCHIVE = collection_id("lab-archive")
NOT_JSON = b"<html><body>Please log in to the hotel Wi-Fi</body></html>"


@pytest.fixture(scope="module")
def proxied(live_portal, tmp_path_factory):
    emulator = live_portal.emulator
    with (
        AnsweringProxy(emulator.services["transfer"]) as proxy,
        extra_portal(
            emulator,
            tmp_path_factory.mktemp("unreadable") / "instance",
            GLOBUS_TRANSFER_URL=proxy.url,
            GLOBUS_MAX_RETRIES=0,
        ) as portal,
    ):
        yield portal, proxy, logged_in(portal, "alice")


@pytest.mark.parametrize(
    "suffix, page, content_type",
    [
        ("/ls", f"/browse/{LAB_ARCHIVE}", "text/html"),
        ("/endpoint_search", "/collections?q=lab&scope=all", "text/html"),
        ("/task_list", "/tasks", "application/json"),  # claims JSON, is not
    ],
)
def test_a_non_json_200_from_transfer_is_the_transfer_unavailable_page(proxied, suffix, page, content_type):
    portal, proxy, browser = proxied
    proxy.answer_raw(suffix, 200, NOT_JSON, content_type)
    try:
        response = browser.get(portal.url(page), timeout=60)
    finally:
        proxy.canned.clear()
    assert response.status_code == 503, response.text[:500]
    assert "Globus Transfer" in response.text and "Traceback" not in response.text
    assert "hotel Wi-Fi" not in response.text
