"""Domain errors become one page (or JSON body) each; nothing ever shows a traceback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, abort

from app.services.errors import (
    InvalidRequest,
    ReauthenticationRequired,
    RemoteNotFound,
    RemotePermissionDenied,
    RemoteUnavailable,
)
from tests.users import logged_in

errors_bp = Blueprint("raise_errors", __name__)
DATA_ACCESS = (
    "urn:globus:auth:scope:transfer.api.globus.org:all"
    "[*https://auth.globus.org/scopes/0d4bd4aa-5e6d-5c1b-9b1c-0f0f0f0f0f01/data_access]"
)

ERRORS = {
    "unavailable": lambda: RemoteUnavailable("transfer"),
    "denied": lambda: RemotePermissionDenied("You may not read /secret."),
    "missing": lambda: RemoteNotFound("No such directory."),
    "invalid": lambda: InvalidRequest("Path must be absolute.", field="path"),
    "consent": lambda: ReauthenticationRequired([DATA_ACCESS]),
    "hostile-consent": lambda: ReauthenticationRequired(["https://evil.example/scopes/x"]),
    "crash": lambda: RuntimeError("access_token=AgSecretThatMustNotShow1234567890"),
}


@errors_bp.route("/_raise/<name>", methods=["GET", "POST"])
def raise_error(name: str):
    if name not in ERRORS:
        abort(404)
    raise ERRORS[name]()


@pytest.fixture
def client(portal_app):
    portal_app.register_blueprint(errors_bp)
    return portal_app.test_client()


def _login_next(response) -> str:
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login"
    return parse_qs(target.query)["next"][0]


def _form_client(client):
    client.get("/_raise/none")  # starts a session
    with client.session_transaction() as session:
        session["_csrf_token"] = "t0ken"
    return client


def test_unavailable_service_gets_a_503_page_naming_it_with_retry(client):
    response = client.get("/_raise/unavailable?page=2")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    text = response.get_data(as_text=True)
    assert "Globus Transfer is not responding" in text
    assert 'href="/_raise/unavailable?page=2"' in text and "Try again" in text


def test_unavailable_is_json_for_api_clients(client):
    response = client.get("/_raise/unavailable", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json == {
        "error": "service_unavailable",
        "service": "transfer",
        "message": "Globus Transfer is not responding right now.",
        "request_id": response.headers["X-Request-ID"],
    }


@pytest.mark.parametrize(
    "name, status, text",
    [
        ("denied", 403, "You may not read /secret."),
        ("missing", 404, "No such directory."),
        ("invalid", 400, "Path must be absolute."),
    ],
)
def test_each_domain_error_has_its_page(client, name, status, text):
    response = client.get(f"/_raise/{name}")
    assert response.status_code == status and text in response.get_data(as_text=True)
    json_response = client.get(f"/_raise/{name}", headers={"Accept": "application/json"})
    assert json_response.status_code == status and json_response.json["message"] == text


def test_invalid_request_json_names_the_field(client):
    assert client.get("/_raise/invalid", headers={"Accept": "application/json"}).json["field"] == "path"


def test_consent_needed_on_a_page_goes_to_login_and_back(client):
    response = client.get("/_raise/consent?x=1")
    assert response.status_code == 302
    assert _login_next(response) == "/_raise/consent?x=1"
    with client.session_transaction() as session:
        assert session["_consent_request"]["scopes"] == [DATA_ACCESS]


def test_consent_needed_by_a_post_keeps_the_form_for_replay(client, portal_app):
    # Only a logged-in user's form is kept, bound to that user (see consent.stash_owned_by).
    client = logged_in(portal_app, 4242, csrf_token="t0ken")
    response = client.post("/_raise/consent", data={"csrf_token": "t0ken", "path": "/new dir", "label": "x"})
    assert response.status_code == 302 and _login_next(response) == "/auth/resume"
    with client.session_transaction() as session:
        stash = session["_stashed_form"]
    assert stash["action"] == "/_raise/consent" and stash["user"] == 4242
    assert ["path", "/new dir"] in stash["fields"] and all(name != "csrf_token" for name, _ in stash["fields"])


def test_consent_scopes_outside_the_allowlist_are_not_requested(client):
    response = client.get("/_raise/hostile-consent")
    assert response.status_code == 400 and "does not request" in response.get_data(as_text=True)


def test_a_consent_that_keeps_failing_stops_the_loop(client):
    statuses = [client.get("/_raise/consent").status_code for _ in range(5)]
    assert statuses[:3] == [302, 302, 302] and statuses[-1] == 403


def test_consent_needed_is_a_401_json_for_api_clients(client):
    response = client.get("/_raise/consent", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.json["required_scopes"] == [DATA_ACCESS]


def test_unexpected_exceptions_get_a_plain_500_page(portal_app):
    portal_app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    portal_app.register_blueprint(errors_bp)
    response = portal_app.test_client().get("/_raise/crash")
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in text
    assert "Traceback" not in text and "AgSecret" not in text


def test_unknown_pages_get_the_404_page(client):
    response = client.get("/definitely/not/here")
    assert response.status_code == 404 and "Not Found" in response.get_data(as_text=True)


def test_login_required_sends_visitors_to_login_and_back(portal_app):
    from app.auth.access import login_required

    @login_required
    def members_only():
        return "members"

    portal_app.add_url_rule("/_members", "members", members_only, methods=["GET", "POST"])
    client = portal_app.test_client()
    response = client.get("/_members?tab=2")
    assert response.status_code == 302 and _login_next(response) == "/_members?tab=2"
    assert client.get("/_members", headers={"Accept": "application/json"}).status_code == 401
    with client.session_transaction() as session:
        session["_csrf_token"] = "t0ken"
    posted = client.post(
        "/_members",
        data={"csrf_token": "t0ken", "label": "kept"},
        headers={"Referer": "http://localhost/browse/abc", "Origin": "http://localhost"},
    )
    # A form posted without a logged-in session is said to be so, kept, and offered back after login.
    page = posted.get_data(as_text=True)
    assert posted.status_code == 401 and "Your session ended" in page
    assert "What you filled in is kept" in page and "next=/browse/abc" in page.replace("%2F", "/")
    assert "gateway_form=" in posted.headers.get("Set-Cookie", "")
