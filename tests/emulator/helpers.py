"""Browser-less Globus login against the emulator: the real authorization-code flow over HTTP.

`requests` plays the browser (GET authorize, POST the login form, POST consent, read the redirect
to the client's redirect_uri without fetching it); the SDK's ConfidentialAppAuthClient plays the
portal (builds the authorize URL, exchanges the code).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import globus_sdk
import requests
from globus_sdk.services.auth.response import OAuthAuthorizationCodeResponse

MAX_STEPS = 10


@dataclass
class HtmlForm:
    """A form on an emulator page: where it posts and its fields (hidden and text inputs)."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(HtmlForm(action=values.get("action", "")))
        elif self.forms and tag == "input" and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")
        elif self.forms and tag == "button" and values.get("name"):
            self.forms[-1].buttons.setdefault(values["name"], []).append(values.get("value", ""))


def page_forms(html: str) -> list[HtmlForm]:
    """Every form on an HTML page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def pkce_pair() -> tuple[str, str]:
    """A random PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class AuthorizeResult:
    """Where the emulator finally sent the browser, with the parsed query parameters."""

    redirect_url: str
    params: dict[str, str]

    @property
    def code(self) -> str:
        """The authorization code of the redirect (fails the test if there is none)."""
        if "code" not in self.params:
            raise AssertionError(f"no code in redirect: {self.redirect_url}")
        return self.params["code"]


def run_browser(
    emulator: Any,
    authorize_url: str,
    username: str | None,
    password: str | None = None,
    *,
    consent: str = "allow",
    browser: requests.Session | None = None,
) -> AuthorizeResult:
    """Follow an authorize URL like a browser: log in (if asked), answer consent, stop at the
    first redirect that leaves the emulator and return its query parameters."""
    browser = browser or requests.Session()
    if username is not None and password is None:
        password = emulator.user(username)["password"]
    response = browser.get(authorize_url, allow_redirects=False, timeout=30)
    for _ in range(MAX_STEPS):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if not target.startswith(emulator.base_url + "/"):
                query = parse_qs(urlsplit(target).query)
                return AuthorizeResult(target, {key: values[0] for key, values in query.items()})
            response = browser.get(target, allow_redirects=False, timeout=30)
            continue
        forms = page_forms(response.text)
        if not forms:
            raise AssertionError(f"emulator page without a form ({response.status_code}): {response.text[:500]}")
        form = forms[0]
        data = dict(form.fields)
        if "password" in data:
            if username is None:
                raise AssertionError("the emulator asked for a login but no username was given")
            data.update(username=username if "@" in username else f"{username}@example.edu", password=password)
        elif "decision" in form.buttons:
            data["decision"] = consent
        else:
            raise AssertionError(f"unexpected form on emulator page: {form}")
        response = browser.post(urljoin(response.url, form.action), data=data, allow_redirects=False, timeout=30)
    raise AssertionError(f"sign-in did not finish within {MAX_STEPS} steps")


def auth_client(emulator: Any, client: str = "portal") -> globus_sdk.ConfidentialAppAuthClient:
    """The SDK login client for a seeded OAuth client, pointed at the emulator's Auth."""
    details = emulator.client(client)
    return globus_sdk.ConfidentialAppAuthClient(
        details["client_id"], details["client_secret"], base_url=emulator.services["auth"]
    )


def exchange_code(
    login_client: globus_sdk.ConfidentialAppAuthClient, code: str, redirect_uri: str, verifier: str | None = None
) -> OAuthAuthorizationCodeResponse:
    """Exchange a code with the SDK, sending the PKCE verifier when there is one."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    return login_client.oauth2_token(form, response_class=OAuthAuthorizationCodeResponse)


def login_user_response(
    emulator: Any,
    username: str,
    scopes: str | list[str],
    client: str = "portal",
    *,
    refresh_tokens: bool = False,
    nonce: str | None = None,
    browser: requests.Session | None = None,
) -> OAuthAuthorizationCodeResponse:
    """The whole code flow (with PKCE) for a seeded user; returns the SDK token response."""
    login_client = auth_client(emulator, client)
    redirect_uri = emulator.client(client)["redirect_uris"][0]
    state = secrets.token_urlsafe(16)
    verifier, challenge = pkce_pair()
    login_client.oauth2_start_flow(redirect_uri, scopes, state=state, refresh_tokens=refresh_tokens)
    query = {"code_challenge": challenge, "code_challenge_method": "S256"}
    if nonce is not None:
        query["nonce"] = nonce
    url = login_client.oauth2_get_authorize_url(query_params=query)
    result = run_browser(emulator, url, username, browser=browser)
    if result.params.get("state") != state:
        raise AssertionError(f"state not echoed: {result.redirect_url}")
    return exchange_code(login_client, result.code, redirect_uri, verifier)


def login_user_tokens(
    emulator: Any, username: str, scopes: str | list[str], client: str = "portal", *, refresh_tokens: bool = False
) -> dict[str, dict[str, Any]]:
    """Log a seeded user in through the real flow; returns the SDK's `by_resource_server` dict."""
    return login_user_response(emulator, username, scopes, client, refresh_tokens=refresh_tokens).by_resource_server
