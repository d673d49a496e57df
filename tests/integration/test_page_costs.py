"""What the performance work (issue #8) changed, proved over real HTTP against the emulator:
finished tasks remembered per user (never shown to another), events still on every task page,
no write on GET, one database connection per page, a login's tokens in one transaction and no
userinfo call when the id_token carries the identities."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Identity
from app.services.globus import auth_flow
from app.services.globus.call_observers import UpstreamCall, observe_calls
from tests.emulator.transfer_clients import collection_id
from tests.integration.researcher_support import form_fields, task_id_from, wait_for_task

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")

_recording: list[list[UpstreamCall]] = []
_recording_lock = threading.Lock()


def _record(call: UpstreamCall) -> None:
    with _recording_lock:
        for calls in _recording:
            calls.append(call)


observe_calls(_record)


@contextmanager
def upstream_calls() -> Iterator[list[UpstreamCall]]:
    """Every Globus call the portal makes inside the block (the live portal runs in this process)."""
    calls: list[UpstreamCall] = []
    with _recording_lock:
        _recording.append(calls)
    try:
        yield calls
    finally:
        with _recording_lock:
            _recording.remove(calls)


@contextmanager
def sql_activity(live_portal) -> Iterator[dict[str, list]]:
    """Connections checked out of the pool and data-changing statements, inside the block."""
    seen: dict[str, list] = {"checkouts": [], "writes": [], "token_writes": []}
    with live_portal.context():
        engine = db.engine

    def checkout(dbapi_connection, record, proxy) -> None:
        seen["checkouts"].append(threading.current_thread().name)

    def statement(conn, cursor, text, parameters, context, executemany) -> None:
        verb = text.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            seen["writes"].append(text)
            if "stored_tokens" in text.split("(")[0].split(" SET")[0]:
                seen["token_writes"].append(conn.info.get("transaction_number"))

    def begin(conn) -> None:
        conn.info["transaction_number"] = uuid.uuid4().hex

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def _finished_task(live_portal, browser, label: str) -> str:
    form = browser.get(live_portal.url("/transfers/batch"), timeout=30)
    fields = dict(form_fields(form.text, "/transfers/batch"))
    fields.update(
        source=CRYOEM_SHARED,
        destination=LAB_ARCHIVE,
        source_path="/~/",
        destination_path=f"/~/page-costs-{uuid.uuid4().hex[:8]}/",
        label=label,
        batch="README.txt r.txt\n",
    )
    task_id = task_id_from(browser.post(live_portal.url("/transfers/batch"), data=fields, allow_redirects=False))
    assert wait_for_task(live_portal, browser, task_id)["status"] == "SUCCEEDED"
    return task_id


@pytest.fixture(scope="module")
def bob(live_portal):
    return live_portal.logged_in("bob")


@pytest.fixture(scope="module")
def dave(live_portal):
    return live_portal.logged_in("dave")


def _transfer_calls(calls: list[UpstreamCall]) -> int:
    return sum(1 for call in calls if call.service == "transfer")


def _events_rows(page: str) -> int:
    return page.split('id="events-heading"', 1)[1].split("</section>", 1)[0].count("<tr")


def test_a_finished_task_page_is_remembered_and_still_shows_its_events(live_portal, bob, monkeypatch):
    # The 1-in-500 purge of expired sessions is a write (and a connection) of its own: not now.
    monkeypatch.setattr(live_portal.app.session_interface, "cleanup_n_requests", 0)
    label = f"remembered {uuid.uuid4().hex[:6]}"
    task_id = _finished_task(live_portal, bob, label)
    url = live_portal.url(f"/tasks/{task_id}")
    with upstream_calls() as first_calls:
        first = bob.get(url, timeout=30)
    with upstream_calls() as again_calls, sql_activity(live_portal) as sql:
        again = bob.get(url, timeout=30)
        progress = bob.get(url + "/progress", timeout=30)
    assert first.status_code == again.status_code == progress.status_code == 200
    # Seen finished by the progress poll: the first view asked only for the events page.
    # (A token refresh on the way would add an Auth call; only Transfer calls are counted.)
    assert _transfer_calls(first_calls) == 1
    assert again_calls == [], "a finished task's page and progress are served from memory"
    assert progress.json()["status"] == "SUCCEEDED"
    for page in (first.text, again.text):
        assert label in page and "Succeeded" in page
        assert _events_rows(page) >= 2, "the events are on the page (a header row and at least one event)"
    assert sql["writes"] == [], "GETs write nothing"
    # The session, the notifications badge and the folders lookup share the request's connection.
    # With sessions in Redis the remembered task's progress JSON needs no database at all.
    sessions_in_sql = live_portal.app.config["SESSION_BACKEND"] != "redis"
    assert len(sql["checkouts"]) == (2 if sessions_in_sql else 1), "at most one database connection per page"


def test_another_user_never_gets_a_remembered_task(live_portal, bob, dave):
    label = f"bob only {uuid.uuid4().hex[:6]}"
    task_id = _finished_task(live_portal, bob, label)
    assert label in bob.get(live_portal.url(f"/tasks/{task_id}"), timeout=30).text  # remembered for bob
    with upstream_calls() as calls:
        page = dave.get(live_portal.url(f"/tasks/{task_id}"), timeout=30)
        progress = dave.get(live_portal.url(f"/tasks/{task_id}/progress"), timeout=30)
    assert page.status_code in (403, 404) and progress.status_code in (403, 404)
    assert label not in page.text and label not in progress.text
    assert calls, "dave's requests went to Transfer with dave's token"


def test_a_running_task_is_fetched_fresh_with_its_events_alongside(live_portal, bob):
    emulator = live_portal.emulator
    before = emulator.control_get("settings").json()
    assert emulator.control_post("settings", {"throughput": 2_000}).status_code == 200
    try:
        form = bob.get(live_portal.url("/transfers/batch"), timeout=30)
        fields = dict(form_fields(form.text, "/transfers/batch"))
        fields.update(
            source=CRYOEM_SHARED,
            destination=LAB_ARCHIVE,
            source_path="/~/",
            destination_path=f"/~/page-costs-{uuid.uuid4().hex[:8]}/",
            label="running",
            batch="'run 01/img_0001.tif' a.tif\n",
        )
        task_id = task_id_from(bob.post(live_portal.url("/transfers/batch"), data=fields, allow_redirects=False))
        url = live_portal.url(f"/tasks/{task_id}")
        views = []
        for _ in range(2):
            with upstream_calls() as calls:
                views.append((bob.get(url, timeout=30), calls))
    finally:
        emulator.control_post("settings", {"throughput": before.get("throughput", 0)})
    for page, calls in views:
        assert page.status_code == 200 and _events_rows(page.text) >= 2
        if 'data-done="false"' in page.text:
            # Task and events asked for side by side, on every view of a running task.
            assert _transfer_calls(calls) == 2
    assert 'data-done="false"' in views[0][0].text, "the throttled task was still running"
    confirm = bob.get(live_portal.url(f"/tasks/{task_id}/cancel"), timeout=30)
    cancel = dict(form_fields(confirm.text, f"/tasks/{task_id}/cancel"))
    cancelled = bob.post(live_portal.url(f"/tasks/{task_id}/cancel"), data=cancel, timeout=30)
    assert cancelled.status_code == 200
    assert wait_for_task(live_portal, bob, task_id)["is_done"]


def test_a_login_stores_its_tokens_in_one_transaction_without_a_userinfo_call(live_portal, monkeypatch):
    userinfo_calls = []
    real_userinfo = auth_flow.fetch_userinfo

    def counted_userinfo(*args, **kwargs):
        userinfo_calls.append(args)
        return real_userinfo(*args, **kwargs)

    monkeypatch.setattr(auth_flow, "fetch_userinfo", counted_userinfo)
    with sql_activity(live_portal) as sql:
        browser, callback = live_portal.login("alice")
    assert callback.status_code == 302
    assert len(sql["token_writes"]) >= 3, "auth, transfer and search tokens were written"
    assert len(set(sql["token_writes"])) == 1, "all of a login's tokens in one transaction"
    assert userinfo_calls == [], "the validated id_token already carried identity_set"
    alice = live_portal.user_id("alice")
    with live_portal.context():
        linked = db.session.scalars(select(Identity.username).where(Identity.user_id == alice)).all()
    assert len(linked) >= 2, "alice's linked identities still come from the login"
    assert browser.get(live_portal.url("/"), timeout=30).status_code == 200
