"""Task watching against the emulator: one task_list call per user, each end told once, back-off."""

from __future__ import annotations

import uuid
from datetime import timedelta

import globus_sdk
import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import User
from app.models.notification import Notification
from app.models.timestamps import utcnow
from app.models.tracked_task import TrackedTask, TransferSubmission
from app.services import notifications, submissions, task_watch, token_health, token_records, transfers
from app.services.globus.call_observers import UpstreamCall, observe_calls
from app.unit_of_work import unit_of_work
from app.worker.context import bind_app
from app.worker.jobs.task_watch import poll_user_tasks
from app.worker.queue import huey
from tests.emulator.helpers import login_user_tokens
from tests.emulator.transfer_clients import collection_id
from tests.portal_fixtures import build_migrated_app, drop_isolated_schema, portal_overrides
from tests.users import portal_user
from tests.waiting import wait_until
from tests.worker_fixtures import run_queued_jobs

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")
SCOPES = ["openid", "email", "urn:globus:auth:scope:transfer.api.globus.org:all"]
TRANSFER_RS = "transfer.api.globus.org"


class CallCounter:
    """Counts the Globus calls this process makes, per service (the transport's own observer hook)."""

    def __init__(self):
        self.calls: list[UpstreamCall] = []
        self.active = False
        observe_calls(self._seen)

    def _seen(self, call: UpstreamCall) -> None:
        if self.active:
            self.calls.append(call)

    def count(self, service: str) -> int:
        return sum(1 for call in self.calls if call.service == service)


@pytest.fixture(scope="module")
def counter() -> CallCounter:
    return CallCounter()


@pytest.fixture
def watch_app(emulator, mailbox, tmp_path):
    manifest = str(emulator.instance_dir / "emulator.json")
    app = build_migrated_app(
        portal_overrides(
            tmp_path / "instance",
            GATEWAY_EMULATOR_MANIFEST=manifest,
            GLOBUS_CLIENT_ID=None,
            GLOBUS_CLIENT_SECRET=None,
            SMTP_URL=mailbox.url,
        )
    )
    bind_app(app)  # jobs run here run in this app, as in its consumer
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_isolated_schema(app.config["SQLALCHEMY_DATABASE_URI"])


def _user(app, emulator, name: str) -> tuple[int, dict]:
    tokens = login_user_tokens(emulator, name, SCOPES, refresh_tokens=True)
    user_id = portal_user(app, name, tokens=tokens)
    with app.app_context():
        db.session.get(User, user_id).email = f"{name}+{uuid.uuid4().hex[:6]}@example.edu"
        db.session.commit()
    return user_id, tokens


def _submit(app, user_id: int, label: str, **form: str) -> str:
    items = transfers.items_from_selection("/~/run 01/", f"/~/watch-{uuid.uuid4().hex[:8]}/", [("img_0001.tif", False)])
    request = transfers.build_request(
        CRYOEM_SHARED, LAB_ARCHIVE, items, transfers.parse_options({"label": label, **form})
    )
    # As a request (or a job) does: one unit of work, so what the submission queues after its commit runs.
    with app.app_context(), unit_of_work():
        return transfers.submit_transfer(user_id, submissions.new_form_token(), request).task_id


def _sdk(emulator, tokens) -> globus_sdk.TransferClient:
    return globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(tokens[TRANSFER_RS]["access_token"]),
        base_url=emulator.services["transfer"],
    )


def _make_due(app, user_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(TrackedTask)
            .where(TrackedTask.user_id == user_id, TrackedTask.ended_at.is_(None))
            .values(next_check_at=utcnow())
        )
        db.session.commit()


def test_a_poll_covers_all_of_a_users_tasks_in_one_call_and_tells_each_end_once(watch_app, emulator, mailbox, counter):
    alice, tokens = _user(watch_app, emulator, "alice")
    task_ids = [_submit(watch_app, alice, f"watch {n}") for n in range(3)]
    with watch_app.app_context():
        rows = db.session.scalars(select(TrackedTask).where(TrackedTask.user_id == alice)).all()
        # Every submitted task is watched from the start, and a first poll is queued for it.
        assert {row.task_id for row in rows} == set(task_ids) and all(row.next_check_at for row in rows)
        assert sum(1 for task in huey.pending() if task.name.endswith("poll_user_tasks")) == 3
    ended_calls: list[tuple[int, str, str]] = []
    task_watch.register_task_end_listener(lambda *call: ended_calls.append(call))

    client = _sdk(emulator, tokens)
    wait_until(
        lambda: all(client.get_task(task_id)["status"] == "SUCCEEDED" for task_id in task_ids),
        60,
        "the emulator finishing three one-file transfers",
    )
    _make_due(watch_app, alice)
    counter.calls.clear()
    counter.active = True
    try:
        poll_user_tasks.call_local(alice)
    finally:
        counter.active = False
    assert counter.count("transfer") == 1, counter.calls
    assert sorted(call[1] for call in ended_calls if call[0] == alice) == sorted(task_ids)
    assert {call[2] for call in ended_calls} == {"SUCCEEDED"}

    with watch_app.app_context():
        rows = db.session.scalars(select(TrackedTask).where(TrackedTask.user_id == alice)).all()
        assert all(row.ended_at and row.next_check_at is None and row.last_status == "SUCCEEDED" for row in rows)
        notes = db.session.scalars(select(Notification).where(Notification.user_id == alice)).all()
        assert sorted(note.kind for note in notes) == ["task_succeeded"] * 3
        assert {note.link for note in notes} == {f"/tasks/{task_id}" for task_id in task_ids}
        address = db.session.get(User, alice).email

    # The emails were queued after the poll committed; a consumer sends them.
    run = run_queued_jobs(watch_app)
    assert run.count("send_notification_email") == 3 and not run.errors
    subjects = sorted(message["Subject"] for message in mailbox.messages_to(address))
    assert subjects == sorted(f"Transfer succeeded: watch {n}" for n in range(3))

    # Ended tasks are never polled or told again.
    counter.calls.clear()
    counter.active = True
    try:
        poll_user_tasks.call_local(alice)
    finally:
        counter.active = False
    assert counter.count("transfer") == 0 and len(ended_calls) == 3


def test_globus_own_emails_are_off_unless_the_user_wants_them(watch_app, emulator):
    alice, _ = _user(watch_app, emulator, "alice")
    ticked = {"notify_on_failed": "on", "notify_on_inactive": "on"}
    quiet = _submit(watch_app, alice, "quiet", **ticked)
    with watch_app.app_context(), unit_of_work():
        notifications.save_preferences(alice, email_kinds=["task_failed"], globus_emails=True)
    loud = _submit(watch_app, alice, "loud", **ticked)
    with watch_app.app_context():
        # The saved document is exactly what went to Transfer (with its submission id).
        sent = {
            row.task_id: row.document
            for row in db.session.scalars(select(TransferSubmission).where(TransferSubmission.user_id == alice))
        }
    assert not any(sent[quiet][name] for name in submissions.GLOBUS_NOTIFY_OPTIONS)
    # With Globus' emails back on, the form's choices go through as ticked.
    assert sent[loud]["notify_on_failed"] and sent[loud]["notify_on_inactive"]


def _expire_access_token(app, user_id: int) -> None:
    with app.app_context():
        current = token_records.read_token(user_id, TRANSFER_RS)
        token_records.save_token(
            user_id,
            TRANSFER_RS,
            scopes=current.scopes,
            expires_at=1,
            access_token=current.access_token,
            refresh_token=current.refresh_token,
        )


def test_a_dead_refresh_token_marks_the_user_and_parks_their_tasks_until_they_log_in(watch_app, emulator):
    alice, tokens = _user(watch_app, emulator, "alice")
    task_id = _submit(watch_app, alice, "before the grant died")
    # The poll must refresh (expired access token) with a refresh token Auth has revoked.
    _expire_access_token(watch_app, alice)
    portal = emulator.client("portal")
    auth = globus_sdk.ConfidentialAppAuthClient(
        portal["client_id"], portal["client_secret"], base_url=emulator.services["auth"]
    )
    auth.oauth2_revoke_token(tokens[TRANSFER_RS]["refresh_token"])
    dead: list[tuple[int, str]] = []
    token_health.register_tokens_dead_listener(lambda user_id, reason: dead.append((user_id, reason)))

    _make_due(watch_app, alice)
    poll_user_tasks.call_local(alice)
    with watch_app.app_context():
        assert token_health.tokens_dead(alice)
        row = db.session.scalar(select(TrackedTask).where(TrackedTask.task_id == task_id))
        assert row.next_check_at is None and row.ended_at is None  # parked, not forgotten
        kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == alice)).all()
        assert kinds == ["tokens_dead"]
    assert [user_id for user_id, _ in dead] == [alice]
    _make_due(watch_app, alice)
    poll_user_tasks.call_local(alice)  # a second poll neither re-marks nor re-notifies
    assert len(dead) == 1

    with watch_app.app_context():
        # What the login callback does when fresh tokens arrive.
        token_health.clear_tokens_dead(alice)
        assert task_watch.resume_watching(alice) == 1
        db.session.commit()
        assert token_health.tokens_dead(alice) is None
        assert db.session.scalar(select(TrackedTask.next_check_at).where(TrackedTask.task_id == task_id))


def test_the_check_interval_grows_with_age_and_failures():
    assert task_watch.check_interval(timedelta(seconds=10)) == timedelta(seconds=5)
    assert task_watch.check_interval(timedelta(minutes=30)) == timedelta(seconds=18)
    assert task_watch.check_interval(timedelta(days=1)) == timedelta(minutes=10)
    assert task_watch.check_interval(timedelta(minutes=30), failures=2) == timedelta(seconds=72)
    assert task_watch.check_interval(timedelta(days=1), failures=8) == timedelta(minutes=30)


@pytest.fixture
def slow_copies(emulator):
    """One byte a second: tasks stay ACTIVE while the test pauses and resumes them."""
    before = emulator.control_get("settings").json()
    emulator.control_post("settings", {"throughput": 1})
    yield
    emulator.control_post("settings", {"throughput": before.get("throughput", 0)})


def test_a_pause_is_told_once_per_pause_and_a_cancel_as_its_end(watch_app, emulator, slow_copies):
    alice, tokens = _user(watch_app, emulator, "alice")
    task_id = _submit(watch_app, alice, "to be paused")
    # Carol administers the Lab Archive: she may pause tasks that write into it.
    carol = _sdk(emulator, login_user_tokens(emulator, "carol", SCOPES))

    def poll_kinds() -> list[str]:
        _make_due(watch_app, alice)
        poll_user_tasks.call_local(alice)
        with watch_app.app_context():
            return list(
                db.session.scalars(
                    select(Notification.kind).where(Notification.user_id == alice).order_by(Notification.id)
                )
            )

    assert poll_kinds() == []  # running: nothing to tell
    carol.endpoint_manager_pause_tasks([task_id], "storage maintenance")
    assert poll_kinds() == ["task_paused"]
    assert poll_kinds() == ["task_paused"]  # still paused: not told again
    carol.endpoint_manager_resume_tasks([task_id])
    assert poll_kinds() == ["task_paused"]
    carol.endpoint_manager_pause_tasks([task_id], "more maintenance")
    assert poll_kinds() == ["task_paused", "task_paused"]  # a new pause is news
    _sdk(emulator, tokens).cancel_task(task_id)
    wait_until(lambda: poll_kinds()[-1:] == ["task_failed"], 30, "the cancel seen as the task's end")
    with watch_app.app_context():
        titles = list(db.session.scalars(select(Notification.title).where(Notification.user_id == alice)))
    assert titles[0] == "Transfer paused: to be paused" and titles[-1] == "Transfer cancelled: to be paused"


@pytest.fixture
def every_copy_faults(emulator):
    """Every copy attempt hits a transient fault (the emulator retries it, counting faults)."""
    before = emulator.control_get("settings").json()
    emulator.control_post("settings", {"fault_rate": 1.0})
    yield
    emulator.control_post("settings", {"fault_rate": before.get("fault_rate", 0.0)})


def test_repeated_faults_are_told_at_5_10_20_not_at_every_poll(watch_app, emulator, every_copy_faults):
    alice, tokens = _user(watch_app, emulator, "alice")
    task_id = _submit(watch_app, alice, "struggling")
    client = _sdk(emulator, tokens)

    def fault_titles() -> list[str]:
        _make_due(watch_app, alice)
        poll_user_tasks.call_local(alice)
        with watch_app.app_context():
            return list(
                db.session.scalars(
                    select(Notification.title).where(
                        Notification.user_id == alice, Notification.title.startswith("Transfer keeps hitting faults")
                    )
                )
            )

    wait_until(lambda: fault_titles(), 60, "five faults of the same task")
    polls = [len(fault_titles()) for _ in range(5)]
    faults = int(client.get_task(task_id)["faults"])
    client.cancel_task(task_id)
    # Told when the count reached 5, then only when it doubled: never once per poll.
    thresholds = sum(1 for mark in (5, 10, 20, 40, 80, 160) if mark <= faults)
    assert 1 <= polls[-1] <= thresholds, (polls, faults)
    with watch_app.app_context():
        row = db.session.scalar(select(TrackedTask).where(TrackedTask.task_id == task_id))
        assert row is not None and row.faults_notified >= 5 and row.ended_at is None


def test_an_unreachable_transfer_backs_the_polls_off_without_telling_anyone(watch_app, emulator):
    import socket

    alice, _ = _user(watch_app, emulator, "alice")
    task_id = _submit(watch_app, alice, "transfer is down")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    watch_app.config.update(GLOBUS_TRANSFER_URL=f"http://127.0.0.1:{closed}/transfer/", WORKER_MAX_RETRIES=0)
    watch_app.extensions.pop("globus_settings", None)
    for expected_failures in (1, 2, 3):
        _make_due(watch_app, alice)
        started = utcnow()
        poll_user_tasks.call_local(alice)
        with watch_app.app_context():
            row = db.session.scalar(select(TrackedTask).where(TrackedTask.task_id == task_id))
            assert row is not None and row.poll_failures == expected_failures and row.poll_claim is None
            wait = row.next_check_at - started
            # 5 s for a new task, doubled per failure in a row.
            assert timedelta(seconds=5 * 2**expected_failures) <= wait < timedelta(seconds=5 * 2**expected_failures + 5)
            assert db.session.scalar(select(func.count()).where(Notification.user_id == alice)) == 0


def test_a_poll_refreshes_an_expired_access_token_and_writes_it_back(watch_app, emulator):
    alice, _ = _user(watch_app, emulator, "alice")
    _submit(watch_app, alice, "needs a refresh")
    _expire_access_token(watch_app, alice)
    with watch_app.app_context():
        before = token_records.read_token(alice, TRANSFER_RS)
    _make_due(watch_app, alice)
    poll_user_tasks.call_local(alice)
    with watch_app.app_context():
        after = token_records.read_token(alice, TRANSFER_RS)
        polled = db.session.scalars(select(TrackedTask.status_checked_at).where(TrackedTask.user_id == alice)).all()
    assert before is not None and after is not None
    assert after.access_token != before.access_token and after.expires_at > before.expires_at
    assert all(polled), "the poll went through with the refreshed token"
    with watch_app.app_context():
        assert token_health.tokens_dead(alice) is None


def test_after_logout_the_tasks_are_parked_and_the_user_told_why(watch_app, emulator):
    alice, _ = _user(watch_app, emulator, "alice")
    _submit(watch_app, alice, "left running at logout")
    with watch_app.app_context():
        token_records.delete_tokens(alice)  # what logout leaves: no stored grant at all
    _make_due(watch_app, alice)
    poll_user_tasks.call_local(alice)
    with watch_app.app_context():
        assert (
            token_health.tokens_dead(alice)
            == "the gateway holds no Globus login for you (you signed out, or have only used its API)"
        )
        [body] = db.session.scalars(select(Notification.body).where(Notification.user_id == alice)).all()
        assert body.startswith("The gateway can no longer act for you: the gateway holds no Globus login for you")
        assert db.session.scalar(select(TrackedTask.next_check_at).where(TrackedTask.user_id == alice)) is None
