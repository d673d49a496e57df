"""User clients reuse one HTTP transport per thread, which never carries cookies between users."""

from __future__ import annotations

import threading
from http.client import HTTPMessage

import requests
from requests.cookies import MockRequest, MockResponse, RequestsCookieJar

from app.services.user_clients import login_client, search_client, transfer_client
from tests.users import portal_user


def test_clients_of_one_thread_share_a_transport_and_other_threads_get_their_own(portal_app):
    alice, bob = portal_user(portal_app, "alice"), portal_user(portal_app, "bob")
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
    user_id = portal_user(portal_app, "carol")
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
