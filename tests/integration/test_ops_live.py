"""Ops against the live emulator: Globus calls feed /readyz and the metrics, refreshes are counted."""

from __future__ import annotations

import time

import requests
from prometheus_client import REGISTRY
from sqlalchemy import update

from app.extensions import db
from app.models import StoredToken
from app.services.globus.errors import globus_errors
from app.services.user_clients import transfer_client
from tests.users import logged_in

TRANSFER = "transfer.api.globus.org"


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_login_marks_auth_reachable_and_a_refresh_is_counted(live_portal):
    logged_in(live_portal, "carol")
    ready = requests.get(live_portal.url("/readyz"), timeout=30)
    assert ready.status_code == 200
    assert ready.json()["checks"]["globus_auth"]["last_success_at"] is not None
    assert "Set-Cookie" not in ready.headers

    user_id = live_portal.user_id("carol")
    with live_portal.context():
        db.session.execute(
            update(StoredToken)
            .where(StoredToken.user_id == user_id, StoredToken.resource_server == TRANSFER)
            .values(expires_at=int(time.time()) - 30)
        )
        db.session.commit()
    refreshed = sample("gateway_token_refreshes_total", outcome="refreshed")
    transfer_calls = sample("gateway_globus_request_duration_seconds_count", service="transfer", status="2xx")
    collection = live_portal.emulator.collection("public-reference")["id"]
    with live_portal.app.test_request_context(), globus_errors("transfer"):
        assert list(transfer_client(user_id).operation_ls(collection, path="/"))

    assert sample("gateway_token_refreshes_total", outcome="refreshed") == refreshed + 1
    assert (
        sample("gateway_globus_request_duration_seconds_count", service="transfer", status="2xx") == transfer_calls + 1
    )
