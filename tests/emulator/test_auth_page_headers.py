"""The emulator's own Globus Auth pages (login, consent, errors, logout) send the security headers a
real Globus Auth page does, with a CSP that still lets the page's own style and forms work."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import urlsplit

import pytest
import requests

from tests.emulator.helpers import page_forms


def csp_directives(response: requests.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def style_hash(html: str) -> str:
    """The CSP hash source of the page's one inline <style> block."""
    [style] = re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


def origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def assert_secure_page(response: requests.Response, *form_origins: str) -> None:
    assert "text/html" in response.headers["Content-Type"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    csp = csp_directives(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    # The page's own inline style is allowed by its hash, nothing else; no script at all.
    assert csp["style-src"] == [style_hash(response.text)]
    assert "script-src" not in csp
    # A form may post here and be redirected on to the client (browsers check form-action on redirects).
    assert csp["form-action"] == ["'self'", *form_origins]


def start(emulator, login_client, scopes, **query) -> str:
    redirect_uri = emulator.client("portal")["redirect_uris"][0]
    login_client.oauth2_start_flow(redirect_uri, scopes, state=secrets.token_urlsafe(8))
    return login_client.oauth2_get_authorize_url(query_params=query or None)


def test_login_page_sends_security_headers(emulator, portal_login):
    response = requests.get(start(emulator, portal_login, ["openid"]), timeout=30)
    assert response.status_code == 200
    assert "password" in page_forms(response.text)[0].fields
    assert_secure_page(response, origin(emulator.client("portal")["redirect_uris"][0]))


def test_failed_login_page_sends_security_headers(emulator, portal_login):
    browser = requests.Session()
    page = browser.get(start(emulator, portal_login, ["openid"]), timeout=30)
    form = page_forms(page.text)[0]
    data = dict(form.fields, username="alice@example.edu", password="not-her-password")
    response = browser.post(emulator.base_url + form.action, data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 401
    assert_secure_page(response, origin(emulator.client("portal")["redirect_uris"][0]))


def test_consent_page_sends_security_headers(emulator, portal_login):
    browser = requests.Session()
    page = browser.get(start(emulator, portal_login, ["openid", "email"], prompt="consent"), timeout=30)
    form = page_forms(page.text)[0]
    data = dict(form.fields, username="carol@example.edu", password=emulator.user("carol")["password"])
    consent = browser.post(emulator.base_url + form.action, data=data, timeout=30)
    assert consent.status_code == 200
    assert "decision" in page_forms(consent.text)[0].buttons
    assert_secure_page(consent, origin(emulator.client("portal")["redirect_uris"][0]))


@pytest.mark.parametrize(
    "query",
    [
        {"client_id": "00000000-0000-0000-0000-000000000000"},
        {"redirect_uri": "https://evil.example.com/callback"},
    ],
    ids=["unknown-client", "unregistered-redirect"],
)
def test_error_pages_send_security_headers_and_allow_no_foreign_form_target(emulator, portal, query):
    params = {
        "client_id": portal["client_id"],
        "redirect_uri": portal["redirect_uris"][0],
        "scope": "openid",
        "response_type": "code",
        **query,
    }
    response = requests.get(
        f"{emulator.services['auth']}v2/oauth2/authorize", params=params, allow_redirects=False, timeout=30
    )
    assert response.status_code == 400
    assert_secure_page(response)


def test_logout_page_sends_security_headers(emulator, portal):
    response = requests.get(
        f"{emulator.services['auth']}v2/web/logout",
        timeout=30,
        params={"client": portal["client_id"], "redirect_uri": portal["redirect_uris"][0]},
    )
    assert response.status_code == 200
    assert_secure_page(response)
