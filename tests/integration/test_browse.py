"""The file manager over real HTTP: listing, paging the 100,000-entry folder, hostile names, refusals."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from markupsafe import escape

from tests.emulator.transfer_clients import collection_id
from tests.integration.researcher_support import form_fields, task_id_from, wait_for_task

LAB_ARCHIVE = collection_id("lab-archive")
CRYOEM_SHARED = collection_id("cryoem-shared")
PUBLIC = collection_id("public-reference")
SELECT_BOX = r'aria-label="Select (?!every)'
HOSTILE = "<img src=x onerror=alert(1)> \"q\" 'a' & ünï"


@pytest.fixture(scope="module")
def big_folder(live_portal):
    """The 100,000-entry folder on the Lab Archive (created once through the control API)."""
    response = live_portal.emulator.control_post("big-folder", {"entries": 100_000})
    assert response.status_code == 200, response.text
    return response.json()


def _mkdir(portal, browser, collection, parent, name):
    page = browser.get(portal.url(f"/browse/{collection}"), params={"path": parent}, timeout=30)
    fields = dict(form_fields(page.text, "/mkdir"))
    fields["name"] = name
    return browser.post(portal.url(f"/browse/{collection}/mkdir"), data=fields, allow_redirects=False, timeout=30)


def test_a_folder_lists_with_breadcrumb_sizes_and_dates(live_portal, alice_browser):
    page = alice_browser.get(live_portal.url(f"/browse/{CRYOEM_SHARED}"), params={"path": "/~/run 01/"}, timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert "Cryo-EM Shared Data" in page.text
    assert "img_0001.tif" in page.text and "movie_0001.mrc" in page.text
    assert re.search(r"\d+(\.\d)? (KB|MB)", page.text), "sizes are shown readable"
    assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d UTC", page.text), "dates are shown readable"
    assert 'aria-label="Folder path"' in page.text and 'aria-current="page">run 01<' in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_sort_filter_and_hidden_files(live_portal, alice_browser):
    url = live_portal.url(f"/browse/{CRYOEM_SHARED}")
    by_size = alice_browser.get(url, params={"path": "/~/run 01/", "sort": "size", "order": "desc"}, timeout=30)
    names = re.findall(r'value="([^"]+)" aria-label="Select', by_size.text)
    assert names[0] == "movie_0001.mrc", "the largest file comes first when sorting by size, descending"
    filtered = alice_browser.get(url, params={"path": "/~/run 01/", "filter": "0002"}, timeout=30)
    names = re.findall(r'value="([^"]+)" aria-label="Select', filtered.text)
    assert names == ["img_0002.tif"]
    top = alice_browser.get(url, params={"path": "/~/"}, timeout=30).text
    assert ".checksums.md5" not in top
    shown = alice_browser.get(url, params={"path": "/~/", "hidden": "1"}, timeout=30).text
    assert ".checksums.md5" in shown


def test_the_100000_entry_folder_is_served_page_by_page(live_portal, alice_browser, big_folder):
    url = live_portal.url(f"/browse/{LAB_ARCHIVE}")
    first = alice_browser.get(url, params={"path": big_folder["path"]}, timeout=60)
    assert first.status_code == 200
    assert "of 100,000 entries" in " ".join(first.text.split())
    assert len(re.findall(SELECT_BOX, first.text)) == 100
    assert 'rel="next"' in first.text and "Last page" in first.text
    last = alice_browser.get(url, params={"path": big_folder["path"], "offset": 99_900}, timeout=60)
    assert last.status_code == 200
    assert len(re.findall(SELECT_BOX, last.text)) == 100
    assert 'rel="next"' not in last.text
    thousand = alice_browser.get(url, params={"path": big_folder["path"], "per_page": 1000, "offset": 5000}, timeout=60)
    assert len(re.findall(SELECT_BOX, thousand.text)) == 1000
    assert "Showing 5,001–6,000 of 100,000" in " ".join(thousand.text.split())


def test_hostile_names_are_escaped_and_work_in_every_action(live_portal, alice_browser):
    parent = f"/~/hostile-{uuid.uuid4().hex[:8]}/"
    created = _mkdir(live_portal, alice_browser, CRYOEM_SHARED, "/~/", parent.strip("/~"))
    assert created.status_code == 302, created.text[:500]
    made = _mkdir(live_portal, alice_browser, CRYOEM_SHARED, parent, HOSTILE)
    assert made.status_code == 302, made.text[:800]

    listing = alice_browser.get(live_portal.url(f"/browse/{CRYOEM_SHARED}"), params={"path": parent}, timeout=30)
    assert "<img src=x" not in listing.text, "a name is never markup"
    assert str(escape(HOSTILE)) in listing.text
    # Into the folder through the link the page gives (percent-encoded by url_for).
    link = re.search(r'<a href="([^"]+)">' + re.escape(str(escape(HOSTILE))) + "/</a>", listing.text)
    assert link, "the folder link is on the page"
    inside = alice_browser.get(live_portal.url(html.unescape(link.group(1))), timeout=30)
    assert inside.status_code == 200 and "This folder is empty" in inside.text

    renamed = HOSTILE + " (renamed)"
    form = alice_browser.get(
        live_portal.url(f"/browse/{CRYOEM_SHARED}/rename"), params={"path": parent, "name": HOSTILE}, timeout=30
    )
    assert form.status_code == 200 and "<img src=x" not in form.text
    fields = dict(form_fields(form.text, "/rename"))
    assert fields["old_name"] == HOSTILE
    fields["new_name"] = renamed
    done = alice_browser.post(
        live_portal.url(f"/browse/{CRYOEM_SHARED}/rename"), data=fields, allow_redirects=False, timeout=30
    )
    assert done.status_code == 302, done.text[:500]

    page = alice_browser.get(live_portal.url(f"/browse/{CRYOEM_SHARED}"), params={"path": parent}, timeout=30)
    select = form_fields(page.text, "/delete/confirm")
    confirm = alice_browser.post(
        live_portal.url(f"/browse/{CRYOEM_SHARED}/delete/confirm"), data=select + [("dir", renamed)], timeout=30
    )
    assert confirm.status_code == 200, confirm.text[:500]
    assert "<img src=x" not in confirm.text and "it is empty" in confirm.text
    submit = alice_browser.post(
        live_portal.url(f"/browse/{CRYOEM_SHARED}/delete"),
        data=form_fields(confirm.text, f"/browse/{CRYOEM_SHARED}/delete"),
        allow_redirects=False,
        timeout=30,
    )
    task_id = task_id_from(submit)
    assert wait_for_task(live_portal, alice_browser, task_id)["status"] == "SUCCEEDED"
    after = alice_browser.get(live_portal.url(f"/browse/{CRYOEM_SHARED}"), params={"path": parent}, timeout=30)
    assert "This folder is empty" in after.text


@pytest.mark.parametrize("path", ["/~/../../etc", "/~/run 01/../../..", "../secret", "/a\x00b"])
def test_path_traversal_in_the_path_box_is_refused(live_portal, alice_browser, path):
    page = alice_browser.get(live_portal.url(f"/browse/{CRYOEM_SHARED}"), params={"path": path}, timeout=30)
    assert page.status_code == 400
    assert 'id="path-error"' in page.text
    assert "passwd" not in page.text


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "bad\x01name"])
def test_bad_folder_names_are_refused_inline_and_kept(live_portal, alice_browser, name):
    response = _mkdir(live_portal, alice_browser, CRYOEM_SHARED, "/~/", name)
    assert response.status_code == 400
    assert 'id="mkdir-error"' in response.text
    if "\x01" not in name:
        assert f'value="{escape(name)}"' in response.text, "what was typed is kept"


def test_rename_cannot_move_out_of_the_folder(live_portal, alice_browser):
    fields = {
        "csrf_token": form_fields(
            alice_browser.get(live_portal.url(f"/browse/{CRYOEM_SHARED}"), timeout=30).text, "/mkdir"
        )[0][1],
        "path": "/~/",
        "old_name": "README.txt",
        "new_name": "../../README.txt",
    }
    response = alice_browser.post(
        live_portal.url(f"/browse/{CRYOEM_SHARED}/rename"), data=fields, allow_redirects=False, timeout=30
    )
    assert response.status_code == 400 and "cannot contain" in response.text


def test_read_only_collection_offers_no_write_actions_and_refuses_a_crafted_mkdir_in_plain_words(
    live_portal, alice_browser
):
    page = alice_browser.get(live_portal.url(f"/browse/{PUBLIC}"), params={"path": "/"}, timeout=30)
    assert page.status_code == 200
    assert "You can read this collection, not change it." in page.text
    assert "/mkdir" not in page.text and "Delete selected" not in page.text and "Rename" not in page.text
    assert "Transfer into this folder" not in page.text
    # A form made by hand (or an access change since the page was drawn) is refused on the page.
    fields = dict(form_fields(page.text, "/bookmarks"))
    response = alice_browser.post(
        live_portal.url(f"/browse/{PUBLIC}/mkdir"),
        data={"csrf_token": fields["csrf_token"], "path": "/", "name": "should-not-exist"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 403 and 'id="mkdir-error"' in response.text
    assert "not write access" in response.text and "Denied by endpoint" not in response.text


def test_unavailable_collection_shows_the_503_page(live_portal, alice_browser):
    emulator = live_portal.emulator
    assert emulator.control_post(f"collections/{PUBLIC}/availability", {"available": False}).status_code == 200
    try:
        page = alice_browser.get(live_portal.url(f"/browse/{PUBLIC}"), timeout=60)
        assert page.status_code == 503
        assert "Public Reference Datasets is not reachable" in page.text
        assert "Try again" in page.text and "Traceback" not in page.text
        panes = alice_browser.get(
            live_portal.url("/browse/"), params={"left": PUBLIC, "right": CRYOEM_SHARED}, timeout=60
        )
        assert panes.status_code == 200, "in two panes the failing side is reported inline"
        assert "Try again" in panes.text and "img_0001.tif" not in panes.text and "README.txt" in panes.text
    finally:
        emulator.control_post(f"collections/{PUBLIC}/availability", {"available": True})
    assert alice_browser.get(live_portal.url(f"/browse/{PUBLIC}"), timeout=60).status_code == 200
