"""The researcher journey in a real headless chromium against the emulator:
log in → find a collection → browse → make a folder → select files and a folder → transfer to another
collection with sync level checksum → watch the progress bar reach done → open the successful files →
delete the folder → log out."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.emulator.transfer_clients import collection_id

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

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
TASK_TIMEOUT_MS = 120_000


@pytest.fixture
def browser_page():
    """A fresh headless chromium page (Debian's chromium; never a downloaded browser)."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        yield page, errors
        context.close()
        browser.close()


@pytest.fixture
def visible_progress(live_portal):
    """Slow the emulator's copies a little so the progress bar is seen moving."""
    emulator = live_portal.emulator
    before = emulator.control_get("settings").json()
    emulator.control_post("settings", {"throughput": 1_500_000})
    yield
    emulator.control_post("settings", {"throughput": before.get("throughput", 0)})


def _log_in(page, live_portal, username):
    user = live_portal.emulator.user(username)
    page.goto(live_portal.url("/"))
    page.get_by_role("link", name="Log in with Globus").first.click()
    page.get_by_label("Username").fill(user["username"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    allow = page.get_by_role("button", name="Allow")
    if allow.count():
        allow.click()
    playwright_api.expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def test_the_whole_researcher_journey(live_portal, browser_page, visible_progress):
    page, console_errors = browser_page
    expect = playwright_api.expect
    folder = f"Journey ünï {uuid.uuid4().hex[:6]}"

    _log_in(page, live_portal, "alice")

    # Find a collection.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Collections").click()
    page.get_by_label("Search for").fill("Lab Archive")
    page.get_by_label("Among").select_option("all")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Lab Archive", exact=True).click()
    expect(page.get_by_role("heading", name="Lab Archive")).to_be_visible()

    # Browse it and make a folder.
    page.get_by_role("link", name="Browse files").click()
    expect(page.get_by_role("cell", name="README.txt", exact=True)).to_be_visible()
    page.get_by_text("Make a folder or bookmark this one").click()
    page.get_by_label("New folder name").fill(folder)
    page.get_by_role("button", name="Make folder").click()
    expect(page.get_by_text(f"Folder “{folder}” created.")).to_be_visible()
    page.get_by_role("link", name=f"{folder}/").click()
    expect(page.get_by_text("This folder is empty")).to_be_visible()

    # Two panes: the new folder on the right, Cryo-EM Shared Data on the left.
    page.get_by_role("link", name="Transfer into this folder").click()
    left = page.get_by_role("region", name=re.compile("Left pane"))
    left.get_by_role("searchbox", name="Find a collection").fill("Cryo-EM")
    left.get_by_role("combobox", name="Among").select_option("all")
    left.get_by_role("button", name="Search").click()
    page.get_by_role("region", name=re.compile("Left pane")).get_by_role("link", name="Cryo-EM Shared Data").click()
    left = page.get_by_role("region", name=re.compile("Left pane: Cryo-EM Shared Data"))
    left.get_by_label("Select README.txt").check()
    left.get_by_label("Select run 01").check()
    expect(left.get_by_text("2 items selected")).to_be_visible()
    # The pane buttons start at once with the options under the panes; this journey reviews first.
    page.get_by_role("button", name="Review left → right first…").click()

    # Review with sync level checksum, then start.
    expect(page.get_by_role("heading", name="Transfer 2 items")).to_be_visible()
    page.get_by_label(re.compile("contents differ")).check()
    page.get_by_label("Label").fill(f"journey {folder}")
    page.get_by_role("button", name="Start transfer").click()

    # Watch the task finish without reloading: the outcome in words, the bar gone with the work.
    expect(page.get_by_text("Transfer submitted.")).to_be_visible()
    bar = page.locator("progress#task-progress-bar")
    expect(page.locator('[data-field="status_label"]')).to_have_text("Succeeded", timeout=TASK_TIMEOUT_MS)
    expect(page.locator('[data-field="outcome_text"]')).to_have_text("Everything was transferred.")
    expect(bar).to_be_hidden()
    expect(page.locator("[data-live-summary]")).to_contain_text("moved")
    expect(page.get_by_text("Transfer submitted.")).to_be_visible()  # still the same page: no reload
    expect(page.get_by_text("Sync level")).to_be_visible()

    # Open the successful files and follow one into the file manager.
    page.get_by_role("link", name="Files transferred").click()
    expect(page.get_by_role("heading", name="Files transferred")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"README\.txt$")).last.click()
    expect(page.get_by_role("cell", name="README.txt", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="run 01/")).to_be_visible()

    # Delete the folder (from its parent, with the confirmation listing what goes).
    page.get_by_role("navigation", name="Folder path").get_by_role("link", name="Home").click()
    page.get_by_label(f"Select {folder}").check()
    page.get_by_role("button", name="Delete selected…").click()
    expect(page.get_by_role("heading", name="Delete 1 item?")).to_be_visible()
    expect(page.get_by_text("2 entries at its top level")).to_be_visible()
    page.get_by_role("button", name="Delete 1 item").click()
    expect(page.locator('[data-field="status_label"]')).to_have_text("Succeeded", timeout=TASK_TIMEOUT_MS)
    page.get_by_role("link", name=re.compile("Open the folder on Lab Archive")).click()
    expect(page.get_by_role("cell", name="README.txt", exact=True)).to_be_visible()
    expect(page.get_by_label(f"Select {folder}")).to_have_count(0)

    # Log out (through Globus Auth's logout page and back).
    page.get_by_role("button", name="Log out").click()
    back = page.get_by_role("link", name=re.compile("Return to"))
    if back.count():
        back.click()
    expect(page.get_by_role("heading", name="You are logged out")).to_be_visible()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


def test_pages_fit_a_phone_and_work_from_the_keyboard(live_portal, browser_page):
    page, _ = browser_page
    expect = playwright_api.expect
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_portal, "bob")
    shared, lab = collection_id("cryoem-shared"), collection_id("lab-archive")
    for path in (
        "/collections/?q=cryo&scope=all",
        f"/browse/{shared}?path=/~/run%2001/",
        f"/browse/?left={shared}&right={lab}",
        "/tasks/",
        "/transfers/batch",
    ):
        page.goto(live_portal.url(path))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than a phone screen"

    # Keyboard only: reach a checkbox, tick it with Space, and see the selection announced.
    page.goto(live_portal.url(f"/browse/{shared}?path=/~/run%2001/"))
    box = page.get_by_label("Select img_0001.tif")
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    expect(page.locator("[data-selection-count]")).to_have_text("1 item selected")
    page.get_by_text("Sort, filter and hidden files").click()
    page.get_by_label("Filter by name").focus()
    page.keyboard.type("0002")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Select img_0002.tif")).to_be_visible()
    expect(page.get_by_label("Select img_0001.tif")).to_have_count(0)
