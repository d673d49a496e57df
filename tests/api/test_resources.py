"""The API's resources against the live gateway and emulator, acting with dependent tokens:
me, collections, folders, transfers (one task per submission_id), deletes, tasks; no session is
opened; dependent tokens are cached encrypted and fetched again once when Globus refuses one;
one caller's requests reuse one introspection; rate limits answer 429 with Retry-After."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.server_session import ServerSession
from app.models.tracked_task import TrackedTask, TransferSubmission
from app.services import api_caches
from app.services.globus import introspection
from tests.api.conftest import partner_tokens
from tests.emulator.transfer_clients import collection_id
from tests.portal_fixtures import build_migrated_app, portal_overrides
from tests.waiting import wait_until

CRYOEM_SHARED = collection_id("cryoem-shared")
LAB_ARCHIVE = collection_id("lab-archive")


def _transfer(api, submission_id: str, folder: str, **options):
    return api.post(
        "/transfers",
        json={
            "submission_id": submission_id,
            "source": CRYOEM_SHARED,
            "destination": LAB_ARCHIVE,
            "items": [{"source": "/~/run 01/", "destination": f"/~/{folder}/", "recursive": True}],
            **options,
        },
    )


def _wait_done(api, task_id: str) -> dict:
    def done():
        task = api.get(f"/tasks/{task_id}").json()
        return task if task["is_done"] else None

    return wait_until(done, 120, f"task {task_id} still running")


def test_me_names_the_caller_and_the_partner_client(alice_api, emulator):
    me = alice_api.get("/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["primary_identity_id"] == emulator.user("alice")["identity_id"]
    assert body["username"] == "alice@example.edu"
    assert body["client_id"] == emulator.client("partner")["client_id"]
    assert emulator.client("portal")["api_scope"] in body["scopes"]
    assert emulator.user("alice")["identity_id"] in body["identity_set"]
    assert "Set-Cookie" not in me.headers


def test_collections_search_and_get(alice_api):
    found = alice_api.get("/collections", params={"q": "Cryo", "scope": "all"})
    assert found.status_code == 200, found.text
    ids = [c["id"] for c in found.json()["data"]]
    assert CRYOEM_SHARED in ids
    assert found.json()["has_next_page"] is False
    one = alice_api.get(f"/collections/{CRYOEM_SHARED}")
    assert one.status_code == 200 and one.json()["id"] == CRYOEM_SHARED
    bad = alice_api.get("/collections/not-a-uuid")
    assert bad.status_code == 400 and bad.json()["details"] == {"field": "collection"}


def test_folder_listing_pages_and_filters(alice_api):
    first = alice_api.get(f"/collections/{CRYOEM_SHARED}/folders", params={"path": "/~/run 01/", "limit": 50})
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["path"] == "/~/run 01/" and page["limit"] == 50
    names = [entry["name"] for entry in page["data"]]
    assert names and all(not name.startswith(".") for name in names)
    filtered = alice_api.get(
        f"/collections/{CRYOEM_SHARED}/folders", params={"path": "/~/run 01/", "filter": names[0], "sort": "size"}
    ).json()
    assert names[0] in [entry["name"] for entry in filtered["data"]]
    refused = alice_api.get(f"/collections/{CRYOEM_SHARED}/folders", params={"limit": 7})
    assert refused.status_code == 400
    assert refused.json()["details"]["errors"][0]["field"] == "limit"


def test_mkdir_rename_and_delete_task(alice_api):
    name = f"api-{uuid.uuid4().hex[:8]}"
    made = alice_api.post(f"/collections/{LAB_ARCHIVE}/folders", json={"parent": "/~/", "name": name})
    assert made.status_code == 201, made.text
    assert made.json()["path"] == f"/~/{name}/"
    again = alice_api.post(f"/collections/{LAB_ARCHIVE}/folders", json={"parent": "/~/", "name": name})
    assert again.status_code == 409 and again.json()["error"] == "storage_refused"
    renamed = alice_api.post(
        f"/collections/{LAB_ARCHIVE}/rename", json={"parent": "/~/", "old_name": name, "new_name": name + "-b"}
    )
    assert renamed.status_code == 200 and renamed.json()["path"] == f"/~/{name}-b"
    submission = str(uuid.uuid4())
    body = {"submission_id": submission, "parent": "/~/", "folders": [name + "-b"], "label": "api delete"}
    deleted = alice_api.post(f"/collections/{LAB_ARCHIVE}/delete", json=body)
    assert deleted.status_code == 202, deleted.text
    assert deleted.json()["kind"] == "delete"
    assert (
        alice_api.post(f"/collections/{LAB_ARCHIVE}/delete", json=body).json()["task_id"] == deleted.json()["task_id"]
    )
    assert _wait_done(alice_api, deleted.json()["task_id"])["status"] == "SUCCEEDED"
    listing = alice_api.get(f"/collections/{LAB_ARCHIVE}/folders", params={"path": "/~/", "limit": 1000}).json()
    assert name + "-b" not in [entry["name"] for entry in listing["data"]]


def test_same_submission_id_twice_is_one_task_with_every_option(alice_api, api_portal):
    submission = str(uuid.uuid4())
    folder = f"api-{uuid.uuid4().hex[:8]}"
    options = {
        "label": "api every option",
        "sync_level": "checksum",
        "verify_checksum": True,
        "preserve_timestamp": True,
        "encrypt_data": True,
        "skip_source_errors": True,
        "fail_on_quota_errors": True,
        "deadline": "2099-01-01T00:00:00Z",
        "exclude_rules": [{"name": "*.tmp", "type": "file"}],
        "notify_on_succeeded": False,
    }
    first = _transfer(alice_api, submission, folder, **options)
    assert first.status_code == 202, first.text
    second = _transfer(alice_api, submission, folder, **options)
    assert second.status_code == 202, second.text
    assert second.json()["task_id"] == first.json()["task_id"]
    assert (first.json()["reused"], second.json()["reused"]) == (False, True)
    with api_portal.context():
        rows = db.session.scalar(
            select(func.count())
            .select_from(TransferSubmission)
            .where(TransferSubmission.task_id == first.json()["task_id"])
        )
        assert rows == 1
        assert db.session.scalar(select(TrackedTask.label).where(TrackedTask.task_id == first.json()["task_id"])) == (
            "api every option"
        )
    task = _wait_done(alice_api, first.json()["task_id"])
    assert task["status"] == "SUCCEEDED" and task["label"] == "api every option"
    files = alice_api.get(f"/tasks/{task['task_id']}/successful_transfers")
    assert files.status_code == 200 and files.json()["data"], files.text
    assert alice_api.get(f"/tasks/{task['task_id']}/skipped_errors").status_code == 200
    events = alice_api.get(f"/tasks/{task['task_id']}/events")
    assert events.status_code == 200 and events.json()["total"] >= 1
    cancelled = alice_api.post(f"/tasks/{task['task_id']}/cancel")
    assert cancelled.status_code == 200 and "already finished" in cancelled.json()["message"]


def test_invalid_transfers_are_400_with_the_field(alice_api):
    no_items = alice_api.post(
        "/transfers",
        json={"submission_id": str(uuid.uuid4()), "source": CRYOEM_SHARED, "destination": LAB_ARCHIVE, "items": []},
    )
    assert no_items.status_code == 400 and no_items.json()["details"]["errors"][0]["field"] == "items"
    bad = alice_api.post("/transfers", json={"submission_id": "nope", "source": CRYOEM_SHARED})
    assert bad.status_code == 400
    fields = {problem["field"] for problem in bad.json()["details"]["errors"]}
    assert {"submission_id", "destination", "items"} <= fields
    past = _transfer(alice_api, str(uuid.uuid4()), "x", deadline="2001-01-01T00:00:00Z")
    assert past.status_code == 400 and past.json()["details"] == {"field": "deadline"}
    not_json = alice_api.post("/transfers", data="source=x")
    assert not_json.status_code == 400


def test_task_list_filters_and_pages(alice_api):
    listing = alice_api.get("/tasks", params={"type": "TRANSFER", "status": "SUCCEEDED"})
    assert listing.status_code == 200, listing.text
    page = listing.json()
    assert page["limit"] == 25 and page["offset"] == 0
    assert all(task["kind"] == "TRANSFER" and task["status"] == "SUCCEEDED" for task in page["data"])
    assert alice_api.get("/tasks", params={"from": "yesterday"}).status_code == 400
    assert alice_api.get("/tasks/not-a-task").status_code == 400
    assert alice_api.get(f"/tasks/{uuid.uuid4()}").status_code == 404


def test_api_requests_open_and_store_no_session(alice_api, api_portal):
    with api_portal.context():
        before = db.session.scalar(select(func.count()).select_from(ServerSession))
    responses = [alice_api.get("/me"), alice_api.post(f"/tasks/{uuid.uuid4()}/cancel"), alice_api.get("/tasks")]
    assert all("Set-Cookie" not in r.headers for r in responses)
    with api_portal.context():
        assert db.session.scalar(select(func.count()).select_from(ServerSession)) == before


def test_session_interface_gives_api_paths_the_null_session(api_portal):
    app = api_portal.app
    with app.test_request_context("/api/v1/me", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}=x"}):
        from flask.sessions import NullSession

        opened = app.session_interface.open_session(app, __import__("flask").request)
        assert opened is None or isinstance(opened, NullSession)
    with app.test_request_context("/"):
        assert app.session_interface.open_session(app, __import__("flask").request) is not None


def test_dependent_tokens_are_cached_encrypted_by_token_hash(alice_api):
    assert alice_api.get("/tasks").status_code == 200
    key = api_caches.token_hash(alice_api.token)
    sealed = api_caches.dependent_tokens.peek(key)
    assert sealed and "transfer.api.globus.org" in sealed
    held = sealed["transfer.api.globus.org"]
    assert held.sealed_access_token.startswith("v1:test1:")
    assert alice_api.token not in repr(sealed)
    assert api_caches.introspections.get(key) is not None
    assert alice_api.token not in repr(api_caches.introspections.get(key))


def test_a_refused_dependent_token_is_fetched_again_once(alice_api, emulator, api_portal):
    assert alice_api.get("/tasks").status_code == 200
    key = api_caches.token_hash(alice_api.token)
    with api_portal.context():
        from app.security.keyring_config import current_keyring

        old = api_caches.dependent_tokens.get(current_keyring(), key)["transfer.api.globus.org"].access_token
    # Globus revokes the dependent Transfer token (e.g. the user ended the portal's access).
    portal = emulator.client("portal")
    import globus_sdk

    globus_sdk.ConfidentialAppAuthClient(
        portal["client_id"], portal["client_secret"], base_url=emulator.services["auth"]
    ).oauth2_revoke_token(old)
    again = alice_api.get("/tasks")
    assert again.status_code == 200, again.text
    with api_portal.context():
        new = api_caches.dependent_tokens.get(current_keyring(), key)["transfer.api.globus.org"].access_token
    assert new != old


def test_one_caller_is_introspected_once_per_cache_period(alice_api, monkeypatch, api_clock):
    calls = []
    real = introspection.introspect
    monkeypatch.setattr(introspection, "introspect", lambda settings, token: calls.append(1) or real(settings, token))
    for _ in range(50):
        assert alice_api.get("/me").status_code == 200
    assert len(calls) == 1
    api_clock(31)
    assert alice_api.get("/me").status_code == 200
    assert len(calls) == 2


@pytest.fixture
def limited_app(emulator, tmp_path):
    app = build_migrated_app(
        portal_overrides(
            tmp_path / "instance",
            GATEWAY_EMULATOR_MANIFEST=str(emulator.instance_dir / "emulator.json"),
            GLOBUS_CLIENT_ID=None,
            GLOBUS_CLIENT_SECRET=None,
            API_RATE_LIMIT_PER_IDENTITY="3 per minute",
            API_RATE_LIMIT_PER_CLIENT="5 per minute",
        )
    )
    return app


def test_rate_limits_per_identity_and_per_client_answer_429_with_retry_after(limited_app, emulator, alice_api_token):
    client = limited_app.test_client()
    alice = {"Authorization": f"Bearer {alice_api_token}"}
    statuses = [client.get("/api/v1/me", headers=alice).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/me", headers=alice)
    assert limited.status_code == 429
    assert limited.json["error"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Bob through the same partner client: his own identity budget, but the client's (5) runs out.
    bob_token = partner_tokens(emulator, "bob").by_resource_server[emulator.client("portal")["client_id"]][
        "access_token"
    ]
    bob = {"Authorization": f"Bearer {bob_token}"}
    assert [client.get("/api/v1/me", headers=bob).status_code for _ in range(2)] == [200, 200]
    assert client.get("/api/v1/me", headers=bob).status_code == 429
    # The document and the docs page are not limited.
    assert client.get("/api/v1/openapi.json").status_code == 200
