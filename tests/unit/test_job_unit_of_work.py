"""One unit of work for jobs as for requests: commit once, after-commit work only after a commit;
a bulk UPDATE in a request counts as a change; the queue storage follows the settings."""

from __future__ import annotations

import stat

import pytest
from flask import Blueprint
from sqlalchemy import select, update

from app import create_app
from app.extensions import db
from app.models import User
from app.unit_of_work import after_commit, unit_of_work
from app.worker.context import job_context
from app.worker.queue import app_storage
from tests.portal_fixtures import portal_overrides
from tests.users import PLANTED_CSRF, logged_in, portal_user


def _names(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(User.username).order_by(User.id)))


def test_a_job_commits_once_at_the_end_and_then_runs_its_after_commit_work(portal_app):
    ran: list[str] = []
    with portal_app.app_context(), unit_of_work():
        db.session.add(User(primary_identity_id="job-1", username="made-by-a-job"))
        db.session.flush()
        after_commit(lambda: ran.append("after"))
        assert ran == []  # not before the commit
    assert ran == ["after"] and "made-by-a-job" in _names(portal_app)


def test_a_failing_job_rolls_back_and_drops_its_after_commit_work(portal_app):
    ran: list[str] = []
    with pytest.raises(RuntimeError), portal_app.app_context(), unit_of_work():
        db.session.add(User(primary_identity_id="job-2", username="never-stored"))
        db.session.flush()
        after_commit(lambda: ran.append("after"))
        raise RuntimeError("the job failed")
    assert ran == [] and "never-stored" not in _names(portal_app)


def test_job_context_binds_the_request_id_for_the_jobs_log_lines(portal_app):
    from app.ops.request_context import current_request_id
    from app.worker.context import bind_app

    bind_app(portal_app)
    with job_context("req-123") as bound:
        assert bound == "req-123" and current_request_id() == "req-123"
    with job_context("not valid!") as bound:
        assert bound != "not valid!" and len(bound) == 32


def test_a_bulk_update_in_a_post_is_committed_by_the_request(portal_app):
    user_id = portal_user(portal_app, "dave")
    probe = Blueprint("uow_probe", __name__)

    @probe.post("/_probe/rename")
    def rename():
        db.session.execute(update(User).where(User.id == user_id).values(username="renamed-in-bulk"))
        return "ok"

    portal_app.register_blueprint(probe)
    response = logged_in(portal_app, user_id).post("/_probe/rename", data={"csrf_token": PLANTED_CSRF})
    assert response.status_code == 200
    assert "renamed-in-bulk" in _names(portal_app)


def test_the_sqlite_queue_lives_in_the_instance_folder_owner_only(tmp_path):
    app = create_app(portal_overrides(tmp_path / "instance", QUEUE_BACKEND="sqlite"))
    storage = app_storage(app)
    path = tmp_path / "instance" / "worker-queue.sqlite3"
    assert storage.filename == str(path.resolve()) or storage.filename == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with app.app_context():
        db.engine.dispose()


def test_redis_is_one_setting_away(tmp_path):
    app = create_app(
        portal_overrides(tmp_path / "instance", QUEUE_BACKEND="redis", REDIS_URL="redis://127.0.0.1:6399/3")
    )
    storage = app_storage(app)
    assert type(storage).__name__ == "RedisStorage"
    assert storage.conn.connection_pool.connection_kwargs["port"] == 6399
    with app.app_context():
        db.engine.dispose()
