"""Issue #9 in a real headless chromium, as a researcher uses the pages: a transfer form survives an
ended session, a read-only share offers no write actions, the two-pane manager makes folders and
transfers with its options beside the panes (buttons, shift-click and drag), and a batch transfer
picks its collections with the chooser and has its source paths checked."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from app.security import session_policy
from tests.emulator.transfer_clients import collection_id

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STEP_TIMEOUT_MS = 30_000
CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")
ALICE_SHARE = collection_id("alice-project")


@pytest.fixture
def browser_page():
    """A fresh headless chromium page (Debian's chromium), and the console errors it logs."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page, errors
        context.close()
        browser.close()


def _script_errors(errors, *, refused_status=None):
    """Console errors other than Chromium's note about a page answered with `refused_status`
    (a refusal the test caused on purpose: the page itself says what happened)."""
    note = f"the server responded with a status of {refused_status}"
    return [error for error in errors if refused_status is None or note not in error]


def _sign_in_at_globus(page, live_portal, username):
    """Play the user at the emulator's login and consent pages (either may be skipped)."""
    user = live_portal.emulator.user(username)
    username_box = page.get_by_label("Username")
    if username_box.count():
        username_box.fill(user["username"])
        page.get_by_label("Password").fill(user["password"])
        page.get_by_role("button", name="Sign in").click()
    allow = page.get_by_role("button", name="Allow")
    if allow.count():
        allow.click()


def _log_in(page, live_portal, username):
    page.goto(live_portal.url("/"))
    page.get_by_role("link", name="Log in with Globus").first.click()
    _sign_in_at_globus(page, live_portal, username)
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def _new_folder_on_lab_archive(page, live_portal, name):
    page.goto(live_portal.url(f"/browse/{LAB_ARCHIVE}?path=/~/"))
    page.get_by_text("Make a folder or bookmark this one").click()
    page.get_by_label("New folder name").fill(name)
    page.get_by_role("button", name="Make folder").click()
    expect(page.get_by_text(f"Folder “{name}” created.")).to_be_visible()
    return f"/~/{name}/"


def _panes(page, live_portal, right_path):
    page.goto(
        live_portal.url(
            f"/browse/?left={CRYOEM_SHARED}&left_path=/~/run 01/&right={LAB_ARCHIVE}&right_path={right_path}"
        )
    )
    return (
        page.get_by_role("region", name=re.compile("Left pane: Cryo-EM Shared Data")),
        page.get_by_role("region", name=re.compile("Right pane: Lab Archive")),
    )


def test_a_transfer_form_survives_an_ended_session(live_portal, browser_page, monkeypatch):
    page, console_errors = browser_page
    _log_in(page, live_portal, "alice")
    destination = _new_folder_on_lab_archive(page, live_portal, f"after-login {uuid.uuid4().hex[:6]}")
    left, _ = _panes(page, live_portal, destination)
    left.get_by_label("Select img_0002.tif").check()
    label = f"kept across a login {uuid.uuid4().hex[:6]}"
    page.get_by_label("Label").fill(label)
    page.get_by_label(re.compile("contents differ")).check()

    # The session ends while the form is open: two idle hours pass on the portal's clock.
    monkeypatch.setattr(session_policy, "clock", lambda: time.time() + 2 * 3600)
    left.get_by_role("button", name=re.compile("Transfer selected to the right")).click()

    expect(page.get_by_role("heading", name="Your session ended")).to_be_visible()
    expect(page.get_by_text("What you filled in is kept in this browser.")).to_be_visible()
    expect(page.get_by_text("Bad Request")).to_have_count(0)
    page.get_by_role("link", name="Log in again").click()
    _sign_in_at_globus(page, live_portal, "alice")

    # Back after login: the same transfer, filled in as it was, waiting for the user's go.
    expect(page.get_by_text("Your session had ended before this form was sent")).to_be_visible()
    expect(page.get_by_role("heading", name="Transfer 1 item")).to_be_visible()
    expect(page.get_by_text(re.compile(r"img_0002\.tif → .*img_0002\.tif"))).to_be_visible()
    expect(page.get_by_label("Label")).to_have_value(label)
    expect(page.get_by_label(re.compile("contents differ"))).to_be_checked()
    page.get_by_role("button", name="Start transfer").click()
    expect(page.get_by_text("Transfer submitted.")).to_be_visible()
    # Chromium logs the 401 status of the "session ended" page itself; nothing else may complain.
    assert _script_errors(console_errors, refused_status=401) == [], console_errors


def test_a_read_only_share_offers_no_write_actions(live_portal, browser_page):
    page, console_errors = browser_page
    _log_in(page, live_portal, "bob")
    page.goto(live_portal.url(f"/browse/{ALICE_SHARE}?path=/"))
    expect(page.get_by_role("heading", name="Alice Project Share")).to_be_visible()
    expect(page.get_by_text("You can read this collection, not change it.")).to_be_visible()
    for action in ("Make folder", "Delete selected…"):
        expect(page.get_by_role("button", name=action)).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Rename"))).to_have_count(0)
    expect(page.get_by_role("link", name="Transfer into this folder")).to_have_count(0)
    expect(page.get_by_role("link", name="Transfer from this folder")).to_be_visible()

    # In two panes the share can be copied from, never into: the button towards it says why.
    page.goto(live_portal.url(f"/browse/?left={CRYOEM_SHARED}&left_path=/~/&right={ALICE_SHARE}&right_path=/"))
    right = page.get_by_role("region", name=re.compile("Right pane: Alice Project Share"))
    expect(right.get_by_text("You can read this collection, not change it.")).to_be_visible()
    expect(right.get_by_text("New folder here")).to_have_count(0)
    left = page.get_by_role("region", name=re.compile("Left pane: Cryo-EM Shared Data"))
    expect(left.get_by_role("button", name=re.compile("Transfer selected to the right"))).to_be_disabled()
    expect(left.get_by_text("The right folder is read-only for you.")).to_be_visible()
    expect(page.get_by_role("button", name="Start: left → right")).to_have_count(0)
    expect(right.get_by_role("button", name=re.compile("Transfer selected to the left"))).to_be_enabled()
    assert not console_errors, console_errors


def test_make_a_folder_and_transfer_from_the_two_panes_with_the_options_beside_them(live_portal, browser_page):
    page, console_errors = browser_page
    _log_in(page, live_portal, "alice")
    base = _new_folder_on_lab_archive(page, live_portal, f"panes {uuid.uuid4().hex[:6]}")
    left, right = _panes(page, live_portal, base)

    # Make a folder inside the right pane, and stay in the two-pane view.
    right.get_by_text("New folder here").click()
    right.get_by_label("Folder name").fill("incoming")
    right.get_by_role("button", name="Make folder").click()
    expect(page.get_by_text("Folder “incoming” created.")).to_be_visible()
    right = page.get_by_role("region", name=re.compile("Right pane: Lab Archive"))
    right.get_by_role("link", name="incoming/").click()
    right = page.get_by_role("region", name=re.compile("Right pane: Lab Archive"))
    expect(right.get_by_text("This folder is empty")).to_be_visible()
    left = page.get_by_role("region", name=re.compile("Left pane: Cryo-EM Shared Data"))

    # The most used options are in view beside the panes; the rest are folded away.
    panel = page.get_by_role("form", name="Transfer options")
    expect(panel.get_by_label("Label")).to_be_visible()
    expect(panel.get_by_label("Verify file integrity after copying")).to_be_checked()
    expect(panel.get_by_label("Keep original modification times")).to_be_hidden()
    panel.get_by_label(re.compile("Only copy files missing")).check()
    label = f"two panes {uuid.uuid4().hex[:6]}"
    panel.get_by_label("Label").fill(label)

    # Shift-click selects the range between two clicks.
    left.get_by_label("Select img_0001.tif").click()
    left.get_by_label("Select img_0003.tif").click(modifiers=["Shift"])
    expect(left.get_by_label("Select img_0002.tif")).to_be_checked()
    expect(left.get_by_text("3 items selected")).to_be_visible()
    left.get_by_role("button", name=re.compile("Transfer selected to the right")).click()

    expect(page.get_by_text("Transfer submitted.")).to_be_visible()
    expect(page.get_by_text(label).first).to_be_visible()
    expect(page.get_by_text(re.compile("missing at the destination|exists"))).to_be_visible()

    # Dragging a file onto the other pane transfers it the same way.
    left, right = _panes(page, live_portal, base)
    left.get_by_role("row", name=re.compile("movie_0001.mrc")).drag_to(right)
    expect(page.get_by_text("Transfer submitted.")).to_be_visible()
    assert not console_errors, console_errors


def test_batch_transfer_with_the_collection_chooser_and_checked_sources(live_portal, browser_page):
    page, console_errors = browser_page
    _log_in(page, live_portal, "alice")
    destination_base = _new_folder_on_lab_archive(page, live_portal, f"batch {uuid.uuid4().hex[:6]}")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Batch transfer").click()
    expect(page.get_by_label(re.compile("collection id"))).to_have_count(0)  # no raw ids to paste

    page.get_by_role("searchbox", name="Find a source collection").fill("Cryo-EM")
    page.get_by_role("searchbox", name="Find a source collection").press("Enter")
    page.get_by_role("list", name="Source: matching collections").get_by_role(
        "link", name="Cryo-EM Shared Data"
    ).click()
    expect(page.get_by_role("heading", name="Source: Cryo-EM Shared Data")).to_be_visible()
    page.get_by_role("searchbox", name="Find a destination collection").fill("Lab Archive")
    page.get_by_role("searchbox", name="Find a destination collection").press("Enter")
    page.get_by_role("list", name="Destination: matching collections").get_by_role("link", name="Lab Archive").click()
    expect(page.get_by_role("heading", name="Destination: Lab Archive")).to_be_visible()
    expect(page.get_by_role("heading", name="Source: Cryo-EM Shared Data")).to_be_visible()

    page.get_by_label(re.compile("Source base folder")).fill("/~/run 01/")
    page.get_by_label(re.compile("Destination base folder")).fill(destination_base)
    page.get_by_label("Paste the list").fill("img_0001.tif copy-1.tif\nno-such-file.tif copy-2.tif\n")
    page.get_by_role("button", name="Check the list and start the transfer").click()

    problems = page.get_by_role("table", name="Lines that need fixing")
    expect(problems.get_by_role("row", name=re.compile("no-such-file.tif.*does not exist"))).to_be_visible()
    expect(page.get_by_text("1 line of the list needs fixing; nothing was submitted.")).to_be_visible()
    expect(page.get_by_role("heading", name="Source: Cryo-EM Shared Data")).to_be_visible()
    page.get_by_label("Paste the list").fill("img_0001.tif copy-1.tif\nimg_0002.tif copy-2.tif\n")
    page.get_by_role("button", name="Check the list and start the transfer").click()
    expect(page.get_by_text("Transfer submitted.")).to_be_visible()
    assert _script_errors(console_errors, refused_status=400) == [], console_errors
