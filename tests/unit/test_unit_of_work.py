"""One unit of work per request: committed once on success, rolled back on any error, never on a GET."""

from __future__ import annotations

import uuid

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from app.extensions import db
from app.models.identity import User
from app.security.csrf import SESSION_KEY as CSRF_KEY
from app.services.errors import InvalidRequest
from app.unit_of_work import WriteOnGet, after_commit
from tests.users import planted_client

uow_bp = Blueprint("uow_probe", __name__)
EVENTS: list[str] = []


def _add_user() -> None:
    db.session.add(User(primary_identity_id=str(uuid.uuid4()), username="probe@example.edu"))
    db.session.flush()  # services flush; only the boundary commits


@uow_bp.post("/_uow/ok")
def ok():
    _add_user()
    after_commit(lambda: EVENTS.append("enqueued"))
    return "done"


@uow_bp.post("/_uow/refused")
def refused():
    _add_user()
    after_commit(lambda: EVENTS.append("enqueued"))
    raise InvalidRequest("no such thing")


@uow_bp.post("/_uow/crash")
def crash():
    _add_user()
    raise RuntimeError("a bug")


@uow_bp.get("/_uow/read")
def read():
    _add_user()
    return "wrote on a GET"


@pytest.fixture
def app(portal_app):
    portal_app.register_blueprint(uow_bp)
    EVENTS.clear()
    return portal_app


def _client(app):
    return planted_client(app, {CSRF_KEY: "t"})


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_a_successful_post_commits_once_then_runs_what_waited_for_the_commit(app):
    assert _client(app).post("/_uow/ok", data={"csrf_token": "t"}).status_code == 200
    assert _users(app) == 1 and EVENTS == ["enqueued"]


def test_a_refused_post_keeps_nothing_and_enqueues_nothing(app):
    assert _client(app).post("/_uow/refused", data={"csrf_token": "t"}).status_code == 400
    assert _users(app) == 0 and EVENTS == []


def test_a_crashing_post_keeps_nothing(app):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    assert _client(app).post("/_uow/crash", data={"csrf_token": "t"}).status_code == 500
    assert _users(app) == 0


def test_a_get_that_writes_is_a_bug_and_its_change_is_discarded(app):
    with pytest.raises(WriteOnGet):
        app.test_client().get("/_uow/read")
    assert _users(app) == 0
