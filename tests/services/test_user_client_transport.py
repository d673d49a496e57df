"""User clients reuse one HTTP transport per thread, which never carries cookies between users."""

from __future__ import annotations

import threading
import time
from http.client import HTTPMessage

import requests
from requests.cookies import MockRequest, MockResponse, RequestsCookieJar

from app.extensions import db
from app.models import User
from app.services import token_records
from app.services.user_clients import login_client, search_client, transfer_client


def _user_with_tokens(app, username: str) -> int:
    with app.app_context():
        user = User(primary_identity_id=f"id-{username}", username=username)
        db.session.add(user)
        db.session.commit()
        for resource_server in ("transfer.api.globus.org", "search.api.globus.org"):
            token_records.save_token(
                user.id,
                resource_server,
                scopes="scope",
                expires_at=int(time.time()) + 3600,
                access_token=f"access-{username}",
                refresh_token=None,
            )
        return user.id


def test_clients_of_one_thread_share_a_transport_and_other_threads_get_their_own(portal_app):
    alice, bob = _user_with_tokens(portal_app, "alice"), _user_with_tokens(portal_app, "bob")
    with portal_app.test_request_context():
        first = transfer_client(alice).transport
        assert transfer_client(bob).transport is first
        assert search_client(alice).transport is first
        assert login_client().transport is not first  # login flows never share a client or transport
        assert transfer_client(alice, for_worker=True).transport is not first  # its own timeout
    elsewhere = []

    def build_in_another_thread() -> None:
        with portal_app.test_request_context():
            elsewhere.append(transfer_client(alice).transport)

    thread = threading.Thread(target=build_in_another_thread)
    thread.start()
    thread.join()
    assert elsewhere and elsewhere[0] is not first


def test_the_shared_transport_keeps_no_cookie_a_response_set(portal_app):
    user_id = _user_with_tokens(portal_app, "carol")
    with portal_app.test_request_context():
        shared_jar = transfer_client(user_id).transport.session.cookies
    request = MockRequest(requests.Request("GET", "https://transfer.api.globus.org/v0.10/task_list").prepare())
    headers = HTTPMessage()
    headers["Set-Cookie"] = "lb=node-7; Path=/"
    plain_jar = RequestsCookieJar()
    plain_jar.extract_cookies(MockResponse(headers), request)
    shared_jar.extract_cookies(MockResponse(headers), request)
    assert len(plain_jar) == 1  # an ordinary session would keep it...
    assert len(shared_jar) == 0  # ...the shared one, used for every user on the thread, does not
