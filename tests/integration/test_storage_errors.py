"""Storage refusals on the file manager pages: a 4xx with the storage's message on the same page.

Transfer relays the storage's answer as 502 ExternalError.*: an existing name, a file where a folder
was expected, a storage permission error. Those are the user's to fix, shown inline; only a
collection that is offline, or Transfer itself failing, is an outage (503).
"""

from __future__ import annotations

import uuid

import pytest
from markupsafe import escape

from tests.emulator.transfer_clients import collection_id
from tests.integration.researcher_support import AnsweringProxy, extra_portal, form_fields
from tests.users import logged_in

LAB_ARCHIVE = collection_id("lab-archive")
PUBLIC = collection_id("public-reference")
OUTAGE = "Globus Transfer is not responding"


def _mkdir(portal, browser, collection, parent, name):
    page = browser.get(portal.url(f"/browse/{collection}"), params={"path": parent}, timeout=30)
    fields = dict(form_fields(page.text, "/mkdir"))
    fields["name"] = name
    return browser.post(portal.url(f"/browse/{collection}/mkdir"), data=fields, allow_redirects=False, timeout=60)


def _new_folder(portal, browser) -> str:
    name = f"storage-{uuid.uuid4().hex[:8]}"
    assert _mkdir(portal, browser, LAB_ARCHIVE, "/~/", name).status_code == 302
    return f"/~/{name}/"


def test_mkdir_onto_an_existing_name_is_a_409_inline_keeping_the_name(live_portal, alice_browser):
    parent = _new_folder(live_portal, alice_browser)
    assert _mkdir(live_portal, alice_browser, LAB_ARCHIVE, parent, "results").status_code == 302
    again = _mkdir(live_portal, alice_browser, LAB_ARCHIVE, parent, "results")
    assert again.status_code == 409, again.text[:500]
    assert OUTAGE not in again.text and "Try again" not in again.text
    assert 'id="mkdir-error"' in again.text and "already exists" in again.text
    assert 'value="results"' in again.text, "what was typed is kept"
    assert f'value="{escape(parent)}"' in again.text, "still the folder the user was in"


def test_rename_onto_an_existing_name_is_a_409_on_the_rename_form(live_portal, alice_browser):
    parent = _new_folder(live_portal, alice_browser)
    for name in ("first", "second"):
        assert _mkdir(live_portal, alice_browser, LAB_ARCHIVE, parent, name).status_code == 302
    form = alice_browser.get(
        live_portal.url(f"/browse/{LAB_ARCHIVE}/rename"), params={"path": parent, "name": "first"}, timeout=30
    )
    fields = dict(form_fields(form.text, "/rename"))
    fields["new_name"] = "second"
    refused = alice_browser.post(
        live_portal.url(f"/browse/{LAB_ARCHIVE}/rename"), data=fields, allow_redirects=False, timeout=60
    )
    assert refused.status_code == 409, refused.text[:500]
    assert OUTAGE not in refused.text
    assert 'id="new-name-error"' in refused.text and "already exists" in refused.text
    assert 'value="second"' in refused.text, "what was typed is kept"


def test_a_file_in_the_path_box_is_a_400_beside_the_path_box(live_portal, alice_browser):
    page = alice_browser.get(
        live_portal.url(f"/browse/{LAB_ARCHIVE}"), params={"path": "/~/shared/measurements_001.csv"}, timeout=60
    )
    assert page.status_code == 400, page.text[:500]
    assert OUTAGE not in page.text
    assert 'id="path-error"' in page.text and "not a directory" in page.text
    assert 'value="/~/shared/measurements_001.csv"' in page.text, "the typed path is kept"


def test_an_offline_collection_names_the_collection_not_transfer(live_portal, alice_browser):
    emulator = live_portal.emulator
    assert emulator.control_post(f"collections/{PUBLIC}/availability", {"available": False}).status_code == 200
    try:
        page = alice_browser.get(live_portal.url(f"/browse/{PUBLIC}"), timeout=60)
        probe = alice_browser.get(live_portal.url(f"/_probe/ls/{PUBLIC}"), timeout=60)
        as_json = alice_browser.get(
            live_portal.url(f"/_probe/ls/{PUBLIC}"), headers={"Accept": "application/json"}, timeout=60
        )
    finally:
        emulator.control_post(f"collections/{PUBLIC}/availability", {"available": True})
    assert page.status_code == 503 and page.headers.get("Retry-After")
    assert "Public Reference Datasets is not reachable" in page.text
    assert OUTAGE not in page.text and "Globus Transfer" not in page.text
    assert f'href="/browse/{PUBLIC}"' in page.text and "Try again" in page.text
    assert probe.status_code == 503 and "not reachable" in probe.text and "Public Reference" in probe.text
    assert OUTAGE not in probe.text
    assert as_json.status_code == 503 and as_json.json()["error"] == "collection_unavailable"


@pytest.fixture
def proxied(live_portal, tmp_path):
    """A portal whose Transfer calls go through an AnsweringProxy (no retries: answers are final)."""
    emulator = live_portal.emulator
    with (
        AnsweringProxy(emulator.services["transfer"]) as proxy,
        extra_portal(
            emulator,
            tmp_path / "instance",
            GLOBUS_TRANSFER_URL=proxy.url,
            GLOBUS_MAX_RETRIES=0,
        ) as portal,
    ):
        yield portal, proxy, logged_in(portal, "alice")


def test_a_storage_permission_error_is_a_403_inline(proxied):
    portal, proxy, browser = proxied
    proxy.answer(
        "/mkdir",
        502,
        "ExternalError.MkdirFailed.PermissionDenied",
        "The storage system refused the operation: Permission denied.",
    )
    refused = _mkdir(portal, browser, LAB_ARCHIVE, "/~/", "locked")
    assert refused.status_code == 403, refused.text[:500]
    assert OUTAGE not in refused.text
    assert 'id="mkdir-error"' in refused.text and "Permission denied" in refused.text
    assert 'value="locked"' in refused.text


@pytest.mark.parametrize("status, code", [(500, "ServerError"), (502, "BadGateway"), (429, "RequestLimitExceeded")])
def test_transfer_itself_failing_is_still_the_transfer_503(proxied, status, code):
    portal, proxy, browser = proxied
    proxy.answer("/ls", status, code, "Transfer is having a bad day.")
    page = browser.get(portal.url(f"/browse/{LAB_ARCHIVE}"), timeout=60)
    assert page.status_code == 503 and OUTAGE in page.text and "Try again" in page.text
