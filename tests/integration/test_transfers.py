"""Transfers over real HTTP: two-pane review with every option, batch lists, at-most-once submission,
consent repair for the mapped collection, and timeouts becoming the 503 page."""

from __future__ import annotations

import re
import threading
import uuid
from html import unescape

from sqlalchemy import func, select

from app.extensions import db
from app.models.tracked_task import TrackedTask, TransferSubmission
from tests.emulator.transfer_clients import collection_id
from tests.integration.researcher_support import (
    ForwardingProxy,
    HangingUpstream,
    extra_portal,
    form_fields,
    task_id_from,
    wait_for_task,
)
from tests.users import log_in_again, logged_in

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")
CAMPUS = collection_id("campus-cluster")


def _new_folder(portal, browser, collection, name):
    page = browser.get(portal.url(f"/browse/{collection}"), params={"path": "/~/"}, timeout=30)
    fields = dict(form_fields(page.text, "/mkdir"))
    fields["name"] = name
    response = browser.post(portal.url(f"/browse/{collection}/mkdir"), data=fields, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:500]
    return f"/~/{name}/"


def _review(portal, browser, destination_path, files=(), dirs=()):
    """Select in the left pane (Cryo-EM Shared /~/run 01/), transfer towards the right pane folder."""
    panes = browser.get(
        portal.url("/browse/"),
        params={
            "left": CRYOEM_SHARED,
            "left_path": "/~/run 01/",
            "right": LAB_ARCHIVE,
            "right_path": destination_path,
        },
        timeout=30,
    )
    assert panes.status_code == 200, panes.text[:500]
    data = form_fields(panes.text, "/transfers/start")  # the two-pane form; its review button posts to /new
    data += [("left_file", name) for name in files] + [("left_dir", name) for name in dirs]
    data.append(("direction", "left"))
    review = browser.post(portal.url("/transfers/new"), data=data, timeout=30)
    assert review.status_code == 200, review.text[:800]
    return review


def _submit_fields(review_html, **options):
    fields = [(k, v) for k, v in form_fields(review_html, "/transfers/submit")]
    for name, value in options.items():
        fields.append((name, value))
    return fields


def _count(portal, model, **where):
    with portal.context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def test_transfer_a_selection_with_every_option(live_portal, alice_browser):
    destination = _new_folder(live_portal, alice_browser, LAB_ARCHIVE, f"copies-{uuid.uuid4().hex[:8]}")
    review = _review(live_portal, alice_browser, destination, files=["img_0001.tif", "img_0002.tif", "movie_0001.mrc"])
    for option in (
        "Verify file integrity",
        "Keep original modification times",
        "Encrypt data",
        "Skip files that cannot be read",
        "Stop if the destination is out of space",
        "Delete destination files",
        "Deadline",
        "Skip names matching",
    ):
        assert option in review.text, option
    # The gateway tells the user itself (Notifications), so Globus' own emails are off and the
    # form says so instead of offering them (they return when the user switches them back on).
    assert "so Globus' own emails are off" in review.text and "Email me when it succeeds" not in review.text
    label = f"every option {uuid.uuid4().hex[:6]}"
    fields = _submit_fields(
        review.text,
        label=label,
        sync_level="checksum",
        verify_checksum="on",
        preserve_timestamp="on",
        encrypt_data="on",
        skip_source_errors="on",
        fail_on_quota_errors="on",
        deadline="2099-01-01T00:00",
        exclude_rules="*.mrc",
        notify_on_failed="on",
    )
    task_id = task_id_from(
        alice_browser.post(live_portal.url("/transfers/submit"), data=fields, allow_redirects=False, timeout=30)
    )
    done = wait_for_task(live_portal, alice_browser, task_id)
    assert done["status"] == "SUCCEEDED", done
    page = alice_browser.get(live_portal.url(f"/tasks/{task_id}"), timeout=30).text
    assert label in page and "checksum" in page
    successful = alice_browser.get(live_portal.url(f"/tasks/{task_id}/successful"), timeout=30).text
    assert "img_0001.tif" in successful and "img_0002.tif" in successful
    listing = alice_browser.get(
        live_portal.url(f"/browse/{LAB_ARCHIVE}"), params={"path": destination}, timeout=30
    ).text
    assert "img_0001.tif" in listing


def test_double_click_and_refresh_make_one_task(live_portal, alice_browser):
    destination = _new_folder(live_portal, alice_browser, LAB_ARCHIVE, f"once-{uuid.uuid4().hex[:8]}")
    review = _review(live_portal, alice_browser, destination, files=["img_0003.tif"])
    fields = _submit_fields(review.text, label=f"once {uuid.uuid4().hex[:6]}", sync_level="size")
    token = dict(fields)["form_token"]
    answers: list = []

    def press():
        answers.append(
            alice_browser.post(live_portal.url("/transfers/submit"), data=fields, allow_redirects=False, timeout=60)
        )

    clicks = [threading.Thread(target=press) for _ in range(3)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    press()  # and a browser refresh re-posting the form afterwards
    task_ids = {task_id_from(answer) for answer in answers}
    assert len(task_ids) == 1, task_ids
    assert _count(live_portal, TransferSubmission, form_token=token) == 1
    assert _count(live_portal, TrackedTask, task_id=task_ids.pop()) == 1


def test_retry_after_an_upstream_timeout_reuses_the_submission(live_portal, tmp_path):
    emulator = live_portal.emulator
    with (
        ForwardingProxy(emulator.services["transfer"]) as proxy,
        extra_portal(
            emulator,
            tmp_path / "instance",
            GLOBUS_TRANSFER_URL=proxy.url,
            GLOBUS_HTTP_TIMEOUT=2,
            GLOBUS_MAX_RETRIES=0,
        ) as portal,
    ):
        browser = logged_in(portal, "alice")
        destination = _new_folder(portal, browser, LAB_ARCHIVE, f"retry-{uuid.uuid4().hex[:8]}")
        review = _review(portal, browser, destination, files=["img_0004.tif"])
        label = f"retry {uuid.uuid4().hex[:6]}"
        fields = _submit_fields(review.text, label=label)
        proxy.drop_next_answer_to("/v0.10/transfer")
        timed_out = browser.post(portal.url("/transfers/submit"), data=fields, allow_redirects=False, timeout=60)
        assert timed_out.status_code == 503 and "Try again" in timed_out.text
        assert proxy.dropped == 1, "the submit reached Transfer; only its answer was lost"
        retried = browser.post(portal.url("/transfers/submit"), data=fields, allow_redirects=False, timeout=60)
        task_id = task_id_from(retried)
        listing = browser.get(portal.url("/tasks/"), params={"label": label}, timeout=30).text
        assert listing.count(f"/tasks/{task_id}") == 1 and "Your only task." in listing, (
            "Transfer holds exactly one task"
        )


def test_batch_list_is_validated_line_by_line_then_submitted(live_portal, alice_browser):
    destination = _new_folder(live_portal, alice_browser, LAB_ARCHIVE, f"batch-{uuid.uuid4().hex[:8]}")
    form = alice_browser.get(
        live_portal.url("/transfers/batch"), params={"source": CRYOEM_SHARED, "destination": LAB_ARCHIVE}, timeout=30
    )
    fields = dict(form_fields(form.text, "/transfers/batch"))
    fields.update(
        source=CRYOEM_SHARED,
        destination=LAB_ARCHIVE,
        source_path="/~/",
        destination_path=destination,
        label=f"batch {uuid.uuid4().hex[:6]}",
    )
    fields["batch"] = "'run 01/img_0005.tif' 'a b.tif'\nonly-one-path\n/~/../../etc/passwd x\n"
    refused = alice_browser.post(live_portal.url("/transfers/batch"), data=fields, allow_redirects=False, timeout=30)
    assert refused.status_code == 400
    assert "Lines that need fixing" in refused.text and "only-one-path" in refused.text and "etc/passwd" in refused.text
    assert "&#39;run 01/img_0005.tif&#39;" in refused.text, "the pasted list is kept for fixing"
    assert _count(live_portal, TransferSubmission, form_token=fields["form_token"]) == 0, "nothing was submitted"

    fields["batch"] = "'run 01/img_0005.tif' 'a b.tif'\n# a comment\n--recursive notebooks notebooks\n"
    upload = {"batch_file": ("list.txt", b"run\\ 02/img_0001.tif second.tif\n", "text/plain")}
    task_id = task_id_from(
        alice_browser.post(
            live_portal.url("/transfers/batch"), data=fields, files=upload, allow_redirects=False, timeout=30
        )
    )
    assert wait_for_task(live_portal, alice_browser, task_id)["status"] == "SUCCEEDED"
    listing = alice_browser.get(
        live_portal.url(f"/browse/{LAB_ARCHIVE}"), params={"path": destination}, timeout=30
    ).text
    assert "second.tif" in listing and "a b.tif" not in listing, "an uploaded list replaces the pasted one"


def _input_value(html: str, name: str) -> str:
    """The value of the text input `name` on a page (form_fields gives hidden fields only)."""
    found = re.search(rf'<input type="text"[^>]* name="{name}" value="([^"]*)"', html)
    assert found, f"no text input {name}"
    return unescape(found.group(1))


def test_consent_repair_for_listing_and_transfer_on_the_mapped_collection(live_portal, tmp_path):
    with extra_portal(live_portal.emulator, tmp_path / "instance") as portal:
        bob = logged_in(portal, "bob")
        first = bob.get(
            portal.url(f"/browse/{CAMPUS}"), params={"path": "/~/projects/"}, allow_redirects=False, timeout=30
        )
        back = log_in_again(portal, bob, first, "bob")
        assert back.headers["Location"].startswith(f"/browse/{CAMPUS}"), back.headers["Location"]
        listing = bob.get(portal.url(back.headers["Location"]), timeout=30)
        assert listing.status_code == 200 and "cryoem/" in listing.text

        carol = logged_in(portal, "carol")
        form = carol.get(portal.url("/transfers/batch"), timeout=30)
        fields = dict(form_fields(form.text, "/transfers/batch"))
        label = f"consent {uuid.uuid4().hex[:6]}"
        fields.update(
            source=LAB_ARCHIVE,
            destination=CAMPUS,
            source_path="/~/shared/",
            destination_path="/~/scratch/",
            label=label,
            batch="measurements_001.csv carol-copy.csv\n",
        )
        interrupted = carol.post(portal.url("/transfers/batch"), data=fields, allow_redirects=False, timeout=30)
        resumed = log_in_again(portal, carol, interrupted, "carol")
        assert resumed.headers["Location"].endswith("/auth/resume")
        confirm = carol.get(portal.url("/auth/resume"), timeout=30)
        # The batch form comes back as itself, filled in as it was typed, with a fresh one-time token.
        assert "Here it is as you filled it in" in confirm.text
        typed = {name: _input_value(confirm.text, name) for name in ("source_path", "destination_path", "label")}
        assert typed == {"source_path": "/~/shared/", "destination_path": "/~/scratch/", "label": label}
        replay = form_fields(confirm.text, "/transfers/batch") + list(typed.items())
        task_id = task_id_from(
            carol.post(portal.url("/transfers/batch"), data=replay, allow_redirects=False, timeout=30)
        )
        assert wait_for_task(portal, carol, task_id)["status"] == "SUCCEEDED"
        again = carol.post(portal.url("/transfers/batch"), data=replay, allow_redirects=False, timeout=30)
        assert task_id_from(again) == task_id, "replaying the stashed form again is still the same task"


def test_a_hanging_transfer_service_gives_the_503_page(live_portal, tmp_path):
    with (
        HangingUpstream() as hanging,
        extra_portal(
            live_portal.emulator,
            tmp_path / "instance",
            GLOBUS_TRANSFER_URL=hanging.url,
            GLOBUS_HTTP_TIMEOUT=1,
            GLOBUS_MAX_RETRIES=0,
        ) as portal,
    ):
        browser = logged_in(portal, "alice")
        page = browser.get(portal.url(f"/browse/{CRYOEM_SHARED}"), timeout=60)
        assert page.status_code == 503 and "Globus Transfer is not responding" in page.text
        tasks = browser.get(portal.url("/tasks/"), timeout=60)
        assert tasks.status_code == 503
        progress = browser.get(
            portal.url(f"/tasks/{uuid.uuid4()}/progress"), headers={"Accept": "application/json"}, timeout=60
        )
        assert progress.status_code == 503 and progress.json()["error"] == "service_unavailable"
        assert progress.headers.get("Retry-After")


def test_the_form_starts_with_globus_defaults_and_marks_a_refused_field(live_portal, alice_browser):
    from html.parser import HTMLParser

    class Checkboxes(HTMLParser):
        def __init__(self):
            super().__init__()
            self.boxes = {}

        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            if tag == "input" and values.get("type") == "checkbox" and values.get("id", "").startswith("opt-"):
                self.boxes[values["name"]] = values

    form = alice_browser.get(live_portal.url("/transfers/batch"), timeout=30)
    parser = Checkboxes()
    parser.feed(form.text)
    ticked = {name for name, attrs in parser.boxes.items() if "checked" in attrs}
    assert ticked == {"verify_checksum"}  # Globus' own emails are off while the gateway notifies
    assert all(attrs.get("aria-describedby") for attrs in parser.boxes.values())

    fields = dict(form_fields(form.text, "/transfers/batch"))
    fields.update(
        source=CRYOEM_SHARED,
        destination=LAB_ARCHIVE,
        batch="README.txt r.txt\n",
        deadline="2001-01-01T00:00",
        verify_checksum="on",
    )
    refused = alice_browser.post(live_portal.url("/transfers/batch"), data=fields, timeout=30)
    assert refused.status_code == 400
    assert 'id="opt-deadline" name="deadline" value="2001-01-01T00:00" aria-invalid="true"' in refused.text
    assert 'id="deadline-error"' in refused.text and "README.txt r.txt" in refused.text
    parser = Checkboxes()
    parser.feed(refused.text)
    assert {name for name, attrs in parser.boxes.items() if "checked" in attrs} == {"verify_checksum"}, (
        "what the user ticked is kept"
    )


def test_hostile_names_survive_review_submit_and_results(live_portal, alice_browser):
    from markupsafe import escape

    hostile = f"<svg onload=alert('x')> \"q\" & ünï {uuid.uuid4().hex[:4]}"
    destination = _new_folder(live_portal, alice_browser, LAB_ARCHIVE, hostile)
    review = _review(live_portal, alice_browser, destination, files=["img_0006.tif"])
    assert "<svg onload" not in review.text and str(escape(hostile)) in review.text
    task_id = task_id_from(
        alice_browser.post(
            live_portal.url("/transfers/submit"), data=_submit_fields(review.text), allow_redirects=False, timeout=30
        )
    )
    assert wait_for_task(live_portal, alice_browser, task_id)["status"] == "SUCCEEDED"
    results = alice_browser.get(live_portal.url(f"/tasks/{task_id}/successful"), timeout=30).text
    assert "<svg onload" not in results and str(escape(f"/~/{hostile}/img_0006.tif")) in results
    listing = alice_browser.get(live_portal.url(f"/browse/{LAB_ARCHIVE}"), params={"path": destination}, timeout=30)
    assert listing.status_code == 200 and "img_0006.tif" in listing.text
