"""Hostile input found by the outside review (issue #7, items 3 and 5): a 4xx with a clear message, never a 500."""

from __future__ import annotations

import json

import pytest

from app.security.session_policy import USER_KEY
from tests.users import PLANTED_CSRF, logged_in


@pytest.mark.parametrize("sent", ["ünïcødé-token", "the-real-token-of-this-sessiön", "\u2603" * 64])
def test_a_non_ascii_csrf_token_is_refused_as_a_bad_form_not_a_crash(portal_app, sent):
    for data, headers in (({"csrf_token": sent}, {}), ({}, {"X-CSRF-Token": sent.encode().decode("latin-1")})):
        response = logged_in(portal_app, 424242).post("/logout", data=data, headers=headers)
        assert response.status_code == 400, (data, headers)
        assert b"This form has expired" in response.data


@pytest.mark.parametrize(
    "args",
    [
        {"state": "ünïcødé", "code": "x"},
        {"state": "\u2603" * 40, "code": "\u2603"},
        {"state": "a" * 5000, "code": "b"},
        {"state": "x", "code": "y", "error": "ünïcødé"},
    ],
)
def test_a_callback_with_hostile_state_is_a_refused_login(portal_app, args):
    client = portal_app.test_client()
    client.get("/login")  # a real pending login exists, so only the hostile value can fail
    response = client.get("/auth/callback", query_string=args)
    assert response.status_code == 400
    assert b"Login not completed" in response.data and b"Traceback" not in response.data


def test_a_deeply_nested_items_document_is_refused_as_invalid_input(portal_app):
    client = logged_in(portal_app, 424242)
    nested = "[" * 2000 + "]" * 2000
    response = client.post(
        "/transfers/submit",
        data={
            "csrf_token": PLANTED_CSRF,
            "source": "a",
            "destination": "b",
            "items": nested,
            "form_token": "t",
        },
    )
    assert response.status_code == 400 and b"The list of files to transfer is missing or too long." in response.data
    deep_object = json.dumps({"items": "x"})
    for _ in range(3):
        deep_object = '{"a": ' + deep_object + "}"
    response = client.post(
        "/transfers/submit",
        data={
            "csrf_token": PLANTED_CSRF,
            "source": "a",
            "destination": "b",
            "items": deep_object,
            "form_token": "t",
        },
    )
    assert response.status_code == 400 and b"The list of files to transfer is missing or too long." in response.data


@pytest.mark.parametrize("idle_minutes", [1, 2])
def test_an_active_user_is_never_logged_out_by_a_small_idle_timeout(tmp_path, monkeypatch, idle_minutes):
    # The idle stamp is refreshed at most once a minute; with SESSION_IDLE_MINUTES=1 a user clicking
    # every 50 seconds used to be logged out because the stamp lagged behind by up to a minute.
    import app.security.session_policy as policy
    from tests.portal_fixtures import build_migrated_app, portal_overrides

    app = build_migrated_app(portal_overrides(tmp_path / "i", SESSION_IDLE_MINUTES=idle_minutes))
    clock = [1_000_000.0]
    monkeypatch.setattr(policy, "clock", lambda: clock[0])
    client = logged_in(app, 424242, created_ago=0, seen_ago=0)
    step = idle_minutes * 60 - 10  # always active within the idle limit
    for _ in range(6):
        clock[0] += step
        client.get("/no-such-page")  # any request counts as activity; this one needs no user row
        with client.session_transaction() as session:
            assert session.get(USER_KEY) == 424242
    clock[0] += idle_minutes * 60 + 61  # idle, plus the stamp's allowed lag (at most a minute)
    assert b"session has expired" in client.get("/").data
