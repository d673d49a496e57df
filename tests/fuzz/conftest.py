"""The fuzz target: a portal app wired to its own emulator, with alice (and bob) really logged in.

The fuzz sends thousands of hostile requests that may create folders, bookmarks and tasks, so it
gets its own emulator and portal database (thrown away afterwards) instead of the session ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.security import session_policy
from app.security.csrf import SESSION_KEY as CSRF_KEY
from app.security.session_policy import SEEN_KEY, USER_KEY
from tests.conftest import RunningEmulator, start_emulator, stop_emulator
from tests.emulator.transfer_clients import collection_id
from tests.portal_fixtures import build_migrated_app, portal_overrides
from tests.users import logged_in, planted_client

ANONYMOUS_CSRF = "an-anonymous-visitors-csrf-token-for-the-fuzz"
CALLBACK = "http://localhost/auth/callback"  # what url_for(_external=True) gives in the test client


@dataclass
class FuzzPortal:
    """The portal under fuzz, and the real ids that let hostile requests reach deep into the views."""

    app: Flask
    emulator: RunningEmulator
    users: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (user id, CSRF token)
    collection_ids: list[str] = field(default_factory=list)
    bookmark_ids: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)

    def client(self, username: str | None) -> FlaskClient:
        """A fresh test client with a planted session: a user who really logged in, or an anonymous
        visitor who loaded a page (so has a CSRF token and the POSTs reach login_required)."""
        if username is None:
            return planted_client(self.app, {SEEN_KEY: int(session_policy.clock()), CSRF_KEY: ANONYMOUS_CSRF})
        return logged_in(self.app, self.users[username][0], created_ago=0, csrf_token=self.csrf(username))

    def csrf(self, username: str | None) -> str:
        """The CSRF token of that user's session (or of an anonymous visitor's)."""
        return self.users[username][1] if username is not None else ANONYMOUS_CSRF


def _log_in(app: Flask, emulator: RunningEmulator, username: str) -> tuple[int, str]:
    """The whole login in-process (tests/users.py); returns the user id and CSRF token it left."""
    with logged_in(app, username, emulator=emulator).session_transaction() as session:
        return session[USER_KEY], session[CSRF_KEY]


def _real_bookmark_and_task(portal: FuzzPortal) -> None:
    client = portal.client("alice")
    public, laptop = collection_id("public-reference"), collection_id("alice-laptop")
    response = client.post(
        "/collections/bookmarks",
        data={"csrf_token": portal.csrf("alice"), "collection_id": public, "path": "/genomes/", "name": "fuzz genomes"},
    )
    assert response.status_code == 302, response.data[:800]
    with portal.app.app_context():
        from app.services import collections

        portal.bookmark_ids = [mark.id for mark in collections.list_bookmarks(portal.users["alice"][0])]
    response = client.post(
        "/transfers/submit",
        data={
            "csrf_token": portal.csrf("alice"),
            "source": public,
            "destination": laptop,
            "source_path": "/",
            "destination_path": "/~/",
            "form_token": secrets.token_urlsafe(24),
            "verify_checksum": "on",
            "items": '[{"source": "/micrographs/", "destination": "/~/fuzz copy/", "recursive": true}]',
        },
    )
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"], response.data[:800]
    portal.task_ids = [response.headers["Location"].rstrip("/").rsplit("/", 1)[1]]


@pytest.fixture(scope="package")
def fuzz_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzPortal]:
    """A throwaway emulator and portal database for the fuzz; alice and bob logged in once each."""
    root = tmp_path_factory.mktemp("fuzz")
    process, emulator = start_emulator(root / "emulator", "--access-token-lifetime", "3600")
    app = None
    try:
        app = build_migrated_app(
            portal_overrides(
                root / "portal",
                GATEWAY_EMULATOR_MANIFEST=str(emulator.instance_dir / "emulator.json"),
                GLOBUS_CLIENT_ID=None,
                GLOBUS_CLIENT_SECRET=None,
            )
        )
        response = emulator.control_post("redirect-uris", {"uri": CALLBACK})
        assert response.status_code == 200, response.text
        portal = FuzzPortal(app=app, emulator=emulator)
        for username in ("alice", "bob"):
            portal.users[username] = _log_in(app, emulator, username)
        portal.collection_ids = [
            collection_id(slug)
            for slug in (
                "public-reference",
                "lab-archive",
                "cryoem-shared",
                "alice-laptop",
                "alice-project",
                "campus-cluster",
            )
        ]
        _real_bookmark_and_task(portal)
        yield portal
    finally:
        if app is not None:
            from tests.portal_fixtures import drop_isolated_schema

            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
            drop_isolated_schema(app.config["SQLALCHEMY_DATABASE_URI"])
        stop_emulator(process)
