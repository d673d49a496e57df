"""Operations: /healthz, /readyz, request ids, JSON log lines, /metrics (app/ops)."""

from __future__ import annotations

import io
import json
import logging
import re
import socket

import pytest
from flask import current_app
from prometheus_client import REGISTRY
from sqlalchemy import event, func, select

from app import create_app
from app.extensions import db
from app.models.server_session import ServerSession
from app.ops.auth_reachability import (
    FAILURE_HOLD_SECONDS,
    AuthReachability,
    auth_reachability,
)
from app.ops.log_format import JsonLogFormatter
from app.ops.request_context import bound_request_id, current_request_id
from app.services import user_clients
from app.services.errors import RemoteUnavailable
from app.services.globus import auth_flow
from app.services.globus.call_observers import service_of
from app.services.globus.settings import GlobusSettings
from app.settings import ConfigError, load_settings
from tests.portal_fixtures import portal_overrides
from tests.unit.test_config import PRODUCTION

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
METRICS_TOKEN = "m" * 8 + "3f9c2a7e1b5d4f60a8c9e2b7d1f3a5c4"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stored_sessions(app) -> int:
    """How many sessions the app's store holds (SQL table or Redis keys)."""
    if app.config["SESSION_BACKEND"] == "redis":
        interface = app.session_interface
        return len(interface.client.keys(interface.key_prefix + "*"))
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ServerSession))
        db.session.remove()
    return count


def counter(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- probes ---------------------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database(portal_app):
    client = portal_app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "yes"  # a browser with a stored session: its cookie must not be read
    statements = []

    def count_statement(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with portal_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert statements == []


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_never_create_or_send_a_session(portal_app, path):
    client = portal_app.test_client()
    before = stored_sessions(portal_app)
    assert "Set-Cookie" not in client.get(path).headers
    assert stored_sessions(portal_app) == before
    # With a stored session's cookie, too: it is neither refreshed nor sent again.
    with client.session_transaction() as session:
        session["planted"] = "yes"
    planted = stored_sessions(portal_app)
    assert "Set-Cookie" not in client.get(path).headers
    assert stored_sessions(portal_app) == planted


def test_readyz_reports_each_check(portal_app):
    response = portal_app.test_client().get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready" and body["not_ready"] == []
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["globus_auth"]["ok"] is True
    assert ("redis" in body["checks"]) == (portal_app.config["SESSION_BACKEND"] == "redis")


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    url = f"postgresql+psycopg://gateway:hunter2-secret@127.0.0.1:{closed_port()}/gateway?connect_timeout=2"
    app = create_app(portal_overrides(tmp_path / "instance", DATABASE_URL=url, SESSION_BACKEND="sqlalchemy"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready" and body["not_ready"] == ["database"]
    assert body["checks"]["database"]["ok"] is False
    assert "hunter2" not in response.get_data(as_text=True)  # the error is named by class only


def test_readyz_is_503_while_globus_auth_was_last_seen_failing(portal_app):
    port = closed_port()
    portal_app.config.update(GLOBUS_AUTH_URL=f"http://127.0.0.1:{port}/auth/", GLOBUS_MAX_RETRIES=0)
    errors_before = counter("gateway_globus_errors_total", service="auth", kind="network")
    # A real call through the portal's Auth client, which finds nothing listening.
    with portal_app.app_context(), pytest.raises(RemoteUnavailable):
        auth_flow.fetch_userinfo(user_clients.settings(), "an-access-token")
    assert counter("gateway_globus_errors_total", service="auth", kind="network") == errors_before + 1

    response = portal_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["not_ready"] == ["globus_auth"] and body["checks"]["globus_auth"]["last_failure_at"]

    auth_reachability(portal_app).record(True)  # the next Auth call answered
    assert portal_app.test_client().get("/readyz").status_code == 200


def test_an_old_auth_failure_stops_counting_against_readiness():
    now = [1_000_000.0]
    record = AuthReachability(clock=lambda: now[0])
    assert record.status().ready  # nothing known yet
    record.record(False)
    assert not record.status().ready
    now[0] += FAILURE_HOLD_SECONDS + 1
    # No Auth call since: an unready replica gets no traffic, so it must not stay out forever.
    assert record.status().ready


def test_globus_calls_are_labelled_by_service():
    emulator = {
        "GLOBUS_AUTH_URL": "http://127.0.0.1:5000/auth/",
        "GLOBUS_TRANSFER_URL": "http://127.0.0.1:5000/transfer/",
        "GLOBUS_SEARCH_URL": "http://127.0.0.1:5000/search/",
    }
    prefixes = GlobusSettings.from_config(emulator).service_prefixes()
    assert service_of("http://127.0.0.1:5000/transfer/v0.10/operation/endpoint/x/ls", prefixes) == "transfer"
    assert service_of("http://127.0.0.1:5000/auth/v2/oauth2/token", prefixes) == "auth"
    assert service_of("https://search.api.globus.org/v1/index/x/search", ()) == "search"
    assert service_of("https://auth.globus.org/v2/oauth2/userinfo", ()) == "auth"
    assert service_of("https://example.org/", ()) == "other"


# --- request ids ----------------------------------------------------------------------------


def test_a_request_id_is_generated_and_sent_back(portal_app):
    response = portal_app.test_client().get("/healthz")
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_a_trusted_proxys_request_id_is_kept(portal_app):
    portal_app.config["TRUSTED_PROXIES"] = 1
    response = portal_app.test_client().get("/healthz", headers={"X-Request-ID": "lb-1234.abc_DEF-9"})
    assert response.headers["X-Request-ID"] == "lb-1234.abc_DEF-9"


@pytest.mark.parametrize("offered", ["has space", "semi;colon", "x" * 129, "é-accent", "a\\b"])
def test_a_malformed_request_id_is_replaced(portal_app, offered):
    portal_app.config["TRUSTED_PROXIES"] = 1
    response = portal_app.test_client().get("/healthz", headers={"X-Request-ID": offered})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_without_a_trusted_proxy_the_clients_request_id_is_ignored(portal_app):
    assert portal_app.config["TRUSTED_PROXIES"] == 0
    response = portal_app.test_client().get("/healthz", headers={"X-Request-ID": "chosen-by-client"})
    assert response.headers["X-Request-ID"] != "chosen-by-client"
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_json_errors_carry_the_request_id(portal_app):
    response = portal_app.test_client().get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


def test_error_pages_ask_to_quote_the_request_id(portal_app):
    response = portal_app.test_client().get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "quote this id" in html and response.headers["X-Request-ID"] in html


def test_a_job_can_run_under_the_request_id_that_started_it():
    assert current_request_id() is None
    with bound_request_id("abc123") as request_id:
        assert request_id == current_request_id() == "abc123"
    with bound_request_id("not valid!") as request_id:
        assert GENERATED_ID.fullmatch(request_id)
    assert current_request_id() is None


# --- log lines ------------------------------------------------------------------------------


def test_json_log_lines_carry_the_request_id_and_no_token(tmp_path):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.addHandler(handler)  # before create_app, like gunicorn's: configure_logging guards it
    try:
        app = create_app(portal_overrides(tmp_path / "instance", LOG_FORMAT="json"))
        token = "AgXq7Yb3Vd9kWm2Lp5Rt8Nz1Hc4Jf6Gs0Ke3Ua7Qw9Ey2Io5"

        @app.get("/_log_something")
        def log_something():
            current_app.logger.warning("refresh with Bearer %s failed; token=%s", token, token)
            return "logged"

        response = app.test_client().get("/_log_something")
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (entry,) = [line for line in lines if line["message"].startswith("refresh with")]
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["level"] == "WARNING" and entry["logger"] == app.logger.name and entry["time"]
    assert token not in stream.getvalue() and "[redacted]" in entry["message"]


def test_log_format_is_json_in_production_and_text_elsewhere(tmp_path):
    assert load_settings({**PRODUCTION, "GATEWAY_INSTANCE_DIR": str(tmp_path)})["LOG_FORMAT"] == "json"
    assert load_settings({"GATEWAY_ENV": "test", "GATEWAY_INSTANCE_DIR": str(tmp_path)})["LOG_FORMAT"] == "text"
    assert (
        load_settings({"GATEWAY_ENV": "test", "LOG_FORMAT": "JSON", "GATEWAY_INSTANCE_DIR": str(tmp_path)})[
            "LOG_FORMAT"
        ]
        == "json"
    )


# --- metrics --------------------------------------------------------------------------------


def test_metrics_are_not_served_unless_configured(portal_app):
    assert portal_app.test_client().get("/metrics").status_code == 404


@pytest.mark.parametrize(
    "authorization, status",
    [
        (None, 401),
        ("Basic abc", 401),
        ("Bearer wrong-token", 403),
        ("Bearer tökén", 403),
    ],
)
def test_metrics_refuse_a_missing_or_wrong_token(portal_app, authorization, status):
    portal_app.config["METRICS_TOKEN"] = METRICS_TOKEN
    headers = {"Authorization": authorization} if authorization else {}
    response = portal_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == status
    assert b"gateway_" not in response.data


def test_metrics_with_the_right_token(portal_app):
    portal_app.config["METRICS_TOKEN"] = METRICS_TOKEN
    client = portal_app.test_client()
    client.get("/static/css/no-such-file.css")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    for name in (
        "gateway_http_request_duration_seconds_bucket",
        "gateway_globus_request_duration_seconds",
        "gateway_globus_errors_total",
        "gateway_token_refreshes_total",
    ):
        assert name in text
    # Labelled by URL rule, never by the raw path.
    assert 'route="/static/<path:filename>",status="4xx"' in text
    assert "no-such-file" not in text


def test_metrics_enabled_without_a_token_are_open(portal_app):
    portal_app.config["METRICS_ENABLED"] = True
    assert portal_app.test_client().get("/metrics").status_code == 200


def test_production_refuses_a_short_metrics_token(tmp_path):
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        load_settings({**PRODUCTION, "METRICS_TOKEN": "short", "GATEWAY_INSTANCE_DIR": str(tmp_path)})
    settings = load_settings({**PRODUCTION, "METRICS_TOKEN": METRICS_TOKEN, "GATEWAY_INSTANCE_DIR": str(tmp_path)})
    assert settings["METRICS_TOKEN"] == METRICS_TOKEN


def test_readyz_is_503_when_redis_sessions_are_unreachable(tmp_path):
    app = create_app(
        portal_overrides(
            tmp_path / "instance", SESSION_BACKEND="redis", REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0"
        )
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["not_ready"] == ["redis"] and body["checks"]["redis"]["error"] == "ConnectionError"
