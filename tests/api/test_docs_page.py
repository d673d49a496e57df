"""The API docs page renders in a real headless chromium with every request kept on the gateway
(offline: no CDN, no validator service), under its own CSP with no violation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.test_researcher_journey import browser_page  # noqa: F401 - the shared chromium fixture

pytestmark = pytest.mark.e2e


def test_docs_page_renders_offline_with_every_operation(api_portal, browser_page):  # noqa: F811
    page, errors = browser_page
    origins = set()
    page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))
    page.goto(api_portal.url("/api/v1/docs"))
    page.wait_for_selector(".opblock-summary-path")
    shown = {element.inner_text().strip() for element in page.query_selector_all(".opblock-summary-path")}
    assert {"/transfers", "/tasks/{task_id}", "/collections/{collection_id}/folders", "/me"} <= {
        text.replace("\u200b", "") for text in shown
    }
    assert origins == {urlsplit(api_portal.base_url).netloc}
    assert not [error for error in errors if "Content Security Policy" in error or "Refused" in error], errors
